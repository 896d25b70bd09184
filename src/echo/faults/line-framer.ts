/**
 * `--framing line`: lines ending in LF, echoed with their terminator. Whole
 * lines inside a chunk go out as one run (a subarray, no copy); a line cut
 * across chunks is collected in one growing buffer (see framer.ts).
 */
import { addRun, type FrameBatch, type Framer, Held } from "./framer.ts";

const LF = 10;
const CR = 13;

/** Lines ending in LF (a CR before it is part of the terminator). The maximum counts the line without its terminator. */
export class LineFramer implements Framer {
  private readonly held = new Held();

  constructor(private readonly maxMessageSize: number) {}

  get buffered(): number {
    return this.held.length;
  }

  push(chunk: Uint8Array, out: FrameBatch): boolean {
    const max = this.maxMessageSize;
    let lf = chunk.indexOf(LF);
    let start = 0;
    if (lf >= 0 && this.held.length > 0) {
      // The held part plus this chunk up to its first LF: one line, copied.
      const crBefore = lf > 0 ? chunk[lf - 1] === CR : this.held.last() === CR;
      if (this.held.length + lf - (crBefore ? 1 : 0) > max) return false;
      addRun(out, this.held.take(chunk.subarray(0, lf + 1)), 1);
      start = lf + 1;
      lf = chunk.indexOf(LF, start);
    }
    // Whole lines inside the chunk: checked one by one, passed on as one run.
    const runStart = start;
    let lines = 0;
    while (lf >= 0) {
      const content = lf - start - (lf > start && chunk[lf - 1] === CR ? 1 : 0);
      if (content > max) {
        addRun(out, chunk.subarray(runStart, start), lines);
        return false;
      }
      lines++;
      start = lf + 1;
      lf = chunk.indexOf(LF, start);
    }
    addRun(out, chunk.subarray(runStart, start), lines);
    if (start < chunk.length) {
      this.held.append(start === 0 ? chunk : chunk.subarray(start));
      // Even if the next byte is an LF after a CR, the content is already too long.
      const content = this.held.length - (this.held.last() === CR ? 1 : 0);
      if (content > max) return false;
    }
    return true;
  }

  end(): Uint8Array | null {
    if (this.held.length === 0) return null;
    return this.held.take(new Uint8Array(0));
  }
}
