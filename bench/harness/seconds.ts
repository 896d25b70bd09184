/**
 * One measured second of one engine, as its hooks see it: the counts of that
 * second, the errors counted in it, its own latency histogram (the interval
 * between two snapshots of the run's cumulative one, so the per-message path
 * records each value once) and the connections open at its end. Thresholds
 * with --abort-on-fail, --metrics-port and --html all read these.
 */
import { createErrorCounts, ERROR_CLASSES, type ErrorCounts } from "./errors.ts";
import { createHistogram, decodeHistogram, encodeHistogram, type Histogram } from "./histogram.ts";

export interface Second {
  /** Messages echoed and verified, and their bytes. */
  readonly messages: number;
  readonly bytes: number;
  /** Messages sent (queued on a socket). */
  readonly sent: number;
  readonly errors: ErrorCounts;
  readonly latency: Histogram;
  readonly connectLatency: Histogram | null;
  /** Connections open at the end of the second. */
  readonly open: number;
}

export type EncodedSecond = Omit<Second, "latency" | "connectLatency"> & {
  readonly latency: string;
  readonly connectLatency: string | null;
};

/** Takes interval snapshots of a cumulative histogram: what was recorded since the last call. */
export function intervals(): (cumulative: Histogram) => Histogram {
  const previous = createHistogram();
  return (cumulative) => {
    const interval = createHistogram();
    interval.add(cumulative);
    interval.subtract(previous);
    previous.reset();
    previous.add(cumulative);
    return interval;
  };
}

/** The error counts since the last call, from a live counter object. */
export function errorDeltas(live: ErrorCounts): () => ErrorCounts {
  const previous = createErrorCounts();
  return () => {
    const delta = createErrorCounts();
    for (const k of ERROR_CLASSES) {
      delta[k] = live[k] - previous[k];
      previous[k] = live[k];
    }
    return delta;
  };
}

export function encodeSecond(s: Second): EncodedSecond {
  return {
    ...s,
    latency: encodeHistogram(s.latency),
    connectLatency: s.connectLatency ? encodeHistogram(s.connectLatency) : null,
  };
}

export function decodeSecond(s: EncodedSecond): Second {
  return {
    ...s,
    latency: decodeHistogram(s.latency),
    connectLatency: s.connectLatency ? decodeHistogram(s.connectLatency) : null,
  };
}
