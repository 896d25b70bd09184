/**
 * What the framers of `--framing line` and `--framing length-prefixed`
 * (line-framer.ts, length-prefixed-framer.ts) share. They are pure parsers that turn a byte stream, cut anywhere, into whole frames.
 * They do no I/O and never throw, so they are tested on their own (any split
 * or coalescing of the input yields the same frames). A frame is echoed as
 * it arrived: a line with its LF or CRLF, a length-prefixed message with its
 * 4-byte big-endian header.
 *
 * Frames come out in runs: whole frames back to back, as one buffer, so a
 * chunk of ten thousand short lines costs one write and no object per line.
 * A run inside one input chunk is a `subarray` of it (no copy). The partial
 * frame at the end of a chunk is copied into one growing buffer, never kept
 * as the chunk itself: a peer that trickles one byte per segment must not
 * make one object per byte (memory would be many times the bytes held).
 */

/** What one `push` produced: runs of whole frames, and how many frames and bytes they hold. */
export interface FrameBatch {
  readonly runs: Uint8Array[];
  /** Frames in each run. */
  readonly counts: number[];
  messages: number;
  bytes: number;
}

export function createFrameBatch(): FrameBatch {
  return { runs: [], counts: [], messages: 0, bytes: 0 };
}

/** Empties a batch for reuse. */
export function clearFrameBatch(batch: FrameBatch): void {
  batch.runs.length = 0;
  batch.counts.length = 0;
  batch.messages = 0;
  batch.bytes = 0;
}

export interface Framer {
  /**
   * Appends the runs of complete frames that `chunk` finishes to `out`.
   * Returns false once a message is larger than the maximum (the frames
   * before it are in `out`); the framer must not be used after that.
   */
  push(chunk: Uint8Array, out: FrameBatch): boolean;
  /** Bytes held for a frame not complete yet. */
  readonly buffered: number;
  /**
   * At end of input: the trailing partial frame that is still worth echoing
   * (a last line without a newline), or null. Clears the buffer.
   */
  end(): Uint8Array | null;
}

/** Smallest buffer the partial frame starts with. */
const MIN_HOLD = 256;

/**
 * The partial frame: one buffer that doubles as it fills (at most twice
 * the bytes held, or `cap` when the frame's full size is known).
 */
export class Held {
  bytes: Uint8Array = new Uint8Array(0);
  length = 0;

  append(part: Uint8Array, cap = Number.POSITIVE_INFINITY): void {
    const need = this.length + part.length;
    if (need > this.bytes.length) {
      const grown = new Uint8Array(Math.min(Math.max(need, MIN_HOLD, this.bytes.length * 2), cap));
      grown.set(this.bytes.subarray(0, this.length));
      this.bytes = grown;
    }
    this.bytes.set(part, this.length);
    this.length = need;
  }

  /** The held bytes followed by `tail`, as one new buffer; empties the holder. */
  take(tail: Uint8Array): Uint8Array {
    const frame = new Uint8Array(this.length + tail.length);
    frame.set(this.bytes.subarray(0, this.length));
    frame.set(tail, this.length);
    this.clear();
    return frame;
  }

  last(): number | undefined {
    return this.length === 0 ? undefined : this.bytes[this.length - 1];
  }

  clear(): void {
    this.bytes = new Uint8Array(0);
    this.length = 0;
  }
}

/** Adds a run of `messages` whole frames (skipped when empty). */
export function addRun(out: FrameBatch, run: Uint8Array, messages: number): void {
  if (run.length === 0) return;
  out.runs.push(run);
  out.counts.push(messages);
  out.messages += messages;
  out.bytes += run.length;
}
