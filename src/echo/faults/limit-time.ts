/**
 * `--limit-time MS`: a connection lives at most MS. Then echod stops echoing
 * (what arrives is discarded), lets out what it had already taken in (such
 * as bytes waiting for --delay), and closes it (FIN, reason
 * `fault_limit_time`), as --close-after does at its byte count.
 */
import type { FaultStage } from "./stage.ts";

export interface LimitTimeState {
  /** When the connection is cut; 0 once it was. */
  at: number;
}

export function createLimitTimeStage(ms: number): FaultStage<LimitTimeState> {
  return {
    open: (now) => ({ at: now + ms }),
    cutAt: (state) => state.at,
    expire(state, passage, stats) {
      state.at = 0;
      if (passage.cut !== null) return;
      passage.cut = "fault_limit_time";
      stats.faults.limit_time++;
    },
  };
}
