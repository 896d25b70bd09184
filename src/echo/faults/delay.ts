/**
 * `--delay MS[:JITTER]`: each unit leaves no earlier than the delay, plus a
 * random jitter, after it arrived. Due times are whole milliseconds rounded
 * up (never early), so bytes that arrive within the same millisecond share
 * one pending entry; and a due time is never before the previous one, so
 * jitter never reorders the echo.
 */
import type { FaultStage } from "./stage.ts";

export interface DelayState {
  /** The latest due time so far. */
  lastDue: number;
}

export function createDelayStage(delayMs: number, jitterMs: number): FaultStage<DelayState> {
  return {
    open: () => ({ lastDue: 0 }),
    enter(state, bytes, messages, passage, stats) {
      let due = Math.ceil(performance.now() + delayMs + Math.random() * jitterMs);
      if (due < state.lastDue) due = state.lastDue;
      state.lastDue = due;
      passage.due = due;
      stats.faults.delay += messages;
      return bytes;
    },
    leave(_state, n, now, due) {
      const wait = due - now;
      return wait > 0 ? -wait : n;
    },
  };
}
