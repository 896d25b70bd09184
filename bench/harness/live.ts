/**
 * The run as it goes: every worker's seconds (seconds.ts) merged second by
 * second and into running totals, histograms added bucket by bucket. The
 * CLI feeds it from the engines' hooks; --abort-on-fail judges its totals,
 * --metrics-port publishes them and --html draws its timeline.
 */
import { addErrorCounts, createErrorCounts, type ErrorCounts, totalErrors } from "./errors.ts";
import { createHistogram, type Histogram, type LatencySummary, summarize } from "./histogram.ts";
import type { Second } from "./seconds.ts";
import type { Measured } from "./thresholds.ts";

/** One second of the whole run, every worker's share added. */
export interface TimelinePoint {
  readonly second: number;
  readonly messages: number;
  readonly bytes: number;
  readonly errors: number;
  readonly latency: LatencySummary;
}

interface Slot {
  messages: number;
  bytes: number;
  errors: number;
  readonly latency: Histogram;
}

export class LiveRun {
  sent = 0;
  messages = 0;
  bytes = 0;
  readonly errors: ErrorCounts = createErrorCounts();
  readonly latency = createHistogram();
  readonly connectLatency = createHistogram();
  private readonly slots: Slot[] = [];
  private readonly secondsOf = new Map<number, number>();
  private readonly openOf = new Map<number, number>();

  add(worker: number, s: Second): void {
    const index = this.secondsOf.get(worker) ?? 0;
    this.secondsOf.set(worker, index + 1);
    this.openOf.set(worker, s.open);
    let slot = this.slots[index];
    if (slot === undefined) {
      slot = { messages: 0, bytes: 0, errors: 0, latency: createHistogram() };
      this.slots[index] = slot;
    }
    slot.messages += s.messages;
    slot.bytes += s.bytes;
    slot.errors += totalErrors(s.errors);
    slot.latency.add(s.latency);
    this.sent += s.sent;
    this.messages += s.messages;
    this.bytes += s.bytes;
    addErrorCounts(this.errors, s.errors);
    this.latency.add(s.latency);
    if (s.connectLatency) this.connectLatency.add(s.connectLatency);
  }

  /** Connections open at the end of each worker's last second, added. */
  get open(): number {
    let n = 0;
    for (const v of this.openOf.values()) n += v;
    return n;
  }

  /** The totals so far, as thresholds read them (rates over the seconds seen). */
  measured(churn: boolean): Measured {
    const seconds = Math.max(1, this.slots.length);
    return {
      latency: summarize(this.latency),
      connectLatency: churn ? summarize(this.connectLatency) : null,
      rate: this.messages / seconds,
      throughput: this.bytes / seconds,
      errorsTotal: totalErrors(this.errors),
      errors: this.errors,
    };
  }

  timeline(): TimelinePoint[] {
    return this.slots.map((s, i) => ({
      second: i + 1,
      messages: s.messages,
      bytes: s.bytes,
      errors: s.errors,
      latency: summarize(s.latency),
    }));
  }
}
