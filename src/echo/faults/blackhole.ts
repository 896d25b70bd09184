/**
 * `--blackhole`: every byte is read and dropped, nothing is echoed, and the
 * connection stays open (toxiproxy's `timeout` toxic with no limit). Reading
 * goes on, so the client's writes never block; the bytes count as
 * discarded. The peer's FIN still ends the connection, as in toxiproxy.
 */
import type { FaultStage } from "./stage.ts";

const NOTHING = new Uint8Array(0);

export function createBlackholeStage(): FaultStage<null> {
  return {
    open: () => null,
    enter(_state, bytes, messages, _passage, stats) {
      stats.discardedBytes += bytes.length;
      stats.faults.blackhole += messages;
      return NOTHING;
    },
  };
}
