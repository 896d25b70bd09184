/**
 * `--close-after BYTES` and `--reset-after BYTES`: a connection echoes this
 * many bytes, then is ended (FIN, or RST) once they have gone out. What
 * arrives past the budget is discarded.
 */
import type { FaultStage } from "./stage.ts";

export interface BudgetState {
  /** Bytes still to echo. */
  left: number;
}

export function createBudgetStage(
  bytes: number,
  cutBy: "fault_close" | "fault_reset",
): FaultStage<BudgetState> {
  return {
    open: () => ({ left: bytes }),
    enter(state, unit, _messages, passage, stats) {
      let kept = unit;
      if (kept.length >= state.left) {
        kept = kept.subarray(0, state.left);
        stats.discardedBytes += unit.length - kept.length;
        passage.cut ??= cutBy;
      }
      state.left -= kept.length;
      return kept;
    },
  };
}
