/**
 * `--timeout MS`: from the connection's first byte (first whole message with
 * --framing) nothing is echoed, and MS later echod closes it (FIN, reason
 * `fault_timeout`), as toxiproxy's `timeout` toxic does. What is read
 * meanwhile is discarded. A FIN from the peer before then does not end the
 * connection early: the timeout does.
 */
import type { FaultStage } from "./stage.ts";

export interface TimeoutState {
  /** When the connection is cut; 0 before its first byte, -1 once cut. */
  at: number;
}

const NOTHING = new Uint8Array(0);

export function createTimeoutStage(ms: number): FaultStage<TimeoutState> {
  return {
    open: () => ({ at: 0 }),
    enter(state, bytes, _messages, _passage, stats) {
      if (state.at === 0) state.at = performance.now() + ms;
      stats.discardedBytes += bytes.length;
      return NOTHING;
    },
    cutAt: (state) => Math.max(state.at, 0),
    expire(state, passage, stats) {
      state.at = -1;
      if (passage.cut !== null) return;
      passage.cut = "fault_timeout";
      stats.faults.timeout++;
    },
    holdsEnd: true,
  };
}
