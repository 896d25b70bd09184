/**
 * Message framing for `--framing line` and `--framing length-prefixed`:
 * pure parsers that turn a byte stream, cut anywhere, into whole frames.
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

const LF = 10;
const CR = 13;
const HEADER = 4;
const MIN_HOLD = 256;

/**
 * The partial frame: one buffer that doubles as it fills (at most twice
 * the bytes held, or `cap` when the frame's full size is known).
 */
class Held {
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

function addRun(out: FrameBatch, run: Uint8Array, messages: number): void {
  if (run.length === 0) return;
  out.runs.push(run);
  out.counts.push(messages);
  out.messages += messages;
  out.bytes += run.length;
}

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

/** A 4-byte big-endian length, then that many bytes. The maximum counts the payload. */
export class LengthPrefixFramer implements Framer {
  private readonly held = new Held();
  /** Header plus payload of the frame being collected; -1 until its header is complete. */
  private frameLength = -1;

  constructor(private readonly maxMessageSize: number) {}

  get buffered(): number {
    return this.held.length;
  }

  push(chunk: Uint8Array, out: FrameBatch): boolean {
    let offset = 0;
    if (this.held.length > 0) {
      // Finish the frame begun in earlier chunks first.
      if (this.frameLength < 0) {
        const take = Math.min(HEADER - this.held.length, chunk.length);
        this.held.append(chunk.subarray(0, take));
        offset = take;
        if (this.held.length < HEADER) return true;
        const payload = readLength(this.held.bytes, 0);
        if (payload > this.maxMessageSize) return false;
        this.frameLength = HEADER + payload;
      }
      const take = Math.min(this.frameLength - this.held.length, chunk.length - offset);
      this.held.append(chunk.subarray(offset, offset + take), this.frameLength);
      offset += take;
      if (this.held.length < this.frameLength) return true;
      addRun(out, this.held.take(new Uint8Array(0)), 1);
      this.frameLength = -1;
    }
    // Whole frames inside the chunk: passed on as one run, without copying.
    const runStart = offset;
    let frames = 0;
    while (chunk.length - offset >= HEADER) {
      const payload = readLength(chunk, offset);
      if (payload > this.maxMessageSize) {
        addRun(out, chunk.subarray(runStart, offset), frames);
        return false;
      }
      if (chunk.length - offset < HEADER + payload) {
        this.frameLength = HEADER + payload;
        break;
      }
      offset += HEADER + payload;
      frames++;
    }
    addRun(out, chunk.subarray(runStart, offset), frames);
    if (offset < chunk.length) {
      const cap = this.frameLength < 0 ? Number.POSITIVE_INFINITY : this.frameLength;
      this.held.append(chunk.subarray(offset), cap);
    }
    return true;
  }

  /** An incomplete frame at end of input is dropped: half a message is not a message. */
  end(): Uint8Array | null {
    this.held.clear();
    this.frameLength = -1;
    return null;
  }
}

export function createFramer(framing: "line" | "length-prefixed", maxMessageSize: number): Framer {
  return framing === "line"
    ? new LineFramer(maxMessageSize)
    : new LengthPrefixFramer(maxMessageSize);
}

/** Builds a length-prefixed frame (header + payload), for clients and tests. */
export function encodeLengthPrefixed(payload: Uint8Array): Uint8Array {
  const frame = new Uint8Array(HEADER + payload.length);
  new DataView(frame.buffer).setUint32(0, payload.length, false);
  frame.set(payload, HEADER);
  return frame;
}

function readLength(bytes: Uint8Array, offset: number): number {
  return (
    (bytes[offset] as number) * 0x100_0000 +
    (((bytes[offset + 1] as number) << 16) |
      ((bytes[offset + 2] as number) << 8) |
      (bytes[offset + 3] as number))
  );
}
