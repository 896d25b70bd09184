/**
 * `--slow-close MS`: when a connection is to end, because the peer sent its
 * FIN and got all its echo back, or because a fault cut it, echod holds its
 * own FIN (or RST) and the close back for MS (toxiproxy's `slow_close`).
 * The hold starts once the last echo byte is written to the socket.
 */
import type { FaultStage } from "./stage.ts";

export function createSlowCloseStage(ms: number): FaultStage<null> {
  return {
    open: () => null,
    holdEnd(_state, stats) {
      stats.faults.slow_close++;
      return ms;
    },
  };
}
