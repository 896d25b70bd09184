/**
 * `--slice BYTES`: the echo leaves in pieces of at most this many bytes,
 * one write per turn of the event loop, so that each goes out as its own
 * segment. Counts each unit that had to be cut.
 */
import type { FaultStage } from "./stage.ts";

export function createSliceStage(slice: number): FaultStage<null> {
  return {
    open: () => null,
    enter(_state, bytes, _messages, _passage, stats) {
      if (bytes.length > slice) stats.faults.slice++;
      return bytes;
    },
    leave: (_state, n) => Math.min(n, slice),
    writePerTurn: true,
  };
}
