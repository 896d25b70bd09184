/**
 * `--corrupt P`: with chance P, one bit of a unit (a chunk, or a run of
 * messages with --framing) is flipped before it is echoed, at a random
 * position, so a client can test that it checks what comes back. Each
 * flipped unit is counted: a client that compares every byte, such as
 * echod-bench, sees exactly that many mismatches when one unit is one
 * message. The buffer Bun hands to `data` is ours alone, so it is changed
 * in place.
 */
import type { FaultStage } from "./stage.ts";

export function createCorruptStage(chance: number): FaultStage<null> {
  return {
    open: () => null,
    enter(_state, bytes, _messages, _passage, stats) {
      if (Math.random() >= chance) return bytes;
      const at = Math.floor(Math.random() * bytes.length);
      bytes[at] = (bytes[at] as number) ^ (1 << Math.floor(Math.random() * 8));
      stats.faults.corrupt++;
      return bytes;
    },
  };
}
