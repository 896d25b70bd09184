/**
 * echod_connection_duration_seconds, rendered from bucket counts. The close
 * handler counts the buckets as plain numbers (observeDuration in
 * echo/stats.ts); prom-client's Histogram cannot be set from counts, so this
 * implements the registry's metric shape itself.
 */
import type { Metric } from "prom-client";
import { DURATION_BUCKETS, type EchoStats } from "../echo/stats.ts";

const NAME = "echod_connection_duration_seconds";
const HELP = "How long served connections lasted, observed when they close.";

type Sample = { metricName: string; labels: { le?: number | string }; value: number };

/** The samples of the histogram for one snapshot: cumulative buckets, +Inf, sum and count. */
export function durationSamples(stats: EchoStats): Sample[] {
  const { durationBuckets, durationSum } = stats;
  const count = durationBuckets[DURATION_BUCKETS.length] ?? 0;
  const values: Sample[] = DURATION_BUCKETS.map((le, i) => ({
    metricName: `${NAME}_bucket`,
    labels: { le },
    value: durationBuckets[i] ?? 0,
  }));
  values.push({ metricName: `${NAME}_bucket`, labels: { le: "+Inf" }, value: count });
  values.push({ metricName: `${NAME}_sum`, labels: {}, value: durationSum });
  values.push({ metricName: `${NAME}_count`, labels: {}, value: count });
  return values;
}

export function durationHistogram(stats: () => EchoStats): Metric {
  const metric = {
    name: NAME,
    help: HELP,
    type: "histogram",
    aggregator: "sum",
    reset() {},
    async get() {
      return {
        name: NAME,
        help: HELP,
        type: "histogram",
        aggregator: "sum",
        values: durationSamples(stats()),
      };
    },
  };
  return metric as unknown as Metric;
}
