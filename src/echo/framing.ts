/**
 * Message framing for `--framing line` and `--framing length-prefixed`:
 * pure parsers that turn a byte stream, cut anywhere, into whole frames.
 * They do no I/O and never throw, so they are tested on their own (any split
 * or coalescing of the input yields the same frames). A frame is echoed as
 * it arrived: a line with its LF or CRLF, a length-prefixed message with its
 * 4-byte big-endian header. A frame that lies inside one input chunk is a
 * `subarray` of it (no copy); only frames spread over chunks are copied.
 */

export interface Framer {
  /**
   * Appends the complete frames that `chunk` finishes to `out`. Returns
   * false once a message is larger than the maximum; the framer must not be
   * used after that. `chunk` is kept (not copied) while a frame is partial,
   * so the caller must not reuse its memory.
   */
  push(chunk: Uint8Array, out: Uint8Array[]): boolean;
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

/** Lines ending in LF (a CR before it is part of the terminator). The maximum counts the line without its terminator. */
export class LineFramer implements Framer {
  private parts: Uint8Array[] = [];
  private partsLength = 0;

  constructor(private readonly maxMessageSize: number) {}

  get buffered(): number {
    return this.partsLength;
  }

  push(chunk: Uint8Array, out: Uint8Array[]): boolean {
    let start = 0;
    let lf = chunk.indexOf(LF, start);
    while (lf >= 0) {
      const end = lf + 1;
      const crBefore = lf > start ? chunk[lf - 1] === CR : this.lastHeldByte() === CR;
      const content = this.partsLength + (lf - start) - (crBefore ? 1 : 0);
      if (content > this.maxMessageSize) return false;
      out.push(this.take(chunk.subarray(start, end)));
      start = end;
      lf = chunk.indexOf(LF, start);
    }
    if (start < chunk.length) {
      this.parts.push(start === 0 ? chunk : chunk.subarray(start));
      this.partsLength += chunk.length - start;
      // Even if the next byte is an LF after a CR, the content is already too long.
      const held = this.partsLength - (this.lastHeldByte() === CR ? 1 : 0);
      if (held > this.maxMessageSize) return false;
    }
    return true;
  }

  end(): Uint8Array | null {
    if (this.partsLength === 0) return null;
    return this.take(new Uint8Array(0));
  }

  private lastHeldByte(): number | undefined {
    const last = this.parts[this.parts.length - 1];
    return last === undefined ? undefined : last[last.length - 1];
  }

  /** The held parts followed by `tail`, as one frame; empties the buffer. */
  private take(tail: Uint8Array): Uint8Array {
    if (this.partsLength === 0) return tail;
    const frame = concat(this.parts, this.partsLength, tail);
    this.parts = [];
    this.partsLength = 0;
    return frame;
  }
}

/** A 4-byte big-endian length, then that many bytes. The maximum counts the payload. */
export class LengthPrefixFramer implements Framer {
  private parts: Uint8Array[] = [];
  private partsLength = 0;
  /** Header plus payload of the frame being collected; -1 until its header is complete. */
  private frameLength = -1;

  constructor(private readonly maxMessageSize: number) {}

  get buffered(): number {
    return this.partsLength;
  }

  push(chunk: Uint8Array, out: Uint8Array[]): boolean {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.frameLength < 0) {
        // Fast path: a whole frame inside this chunk is passed on without copying.
        if (this.partsLength === 0 && chunk.length - offset >= HEADER) {
          const payload = readLength(chunk, offset);
          if (payload > this.maxMessageSize) return false;
          if (chunk.length - offset >= HEADER + payload) {
            out.push(chunk.subarray(offset, offset + HEADER + payload));
            offset += HEADER + payload;
            continue;
          }
          this.frameLength = HEADER + payload;
        } else {
          const take = Math.min(HEADER - this.partsLength, chunk.length - offset);
          this.hold(chunk.subarray(offset, offset + take));
          offset += take;
          if (this.partsLength < HEADER) return true;
          const payload = readLength(concat(this.parts, this.partsLength), 0);
          if (payload > this.maxMessageSize) return false;
          this.frameLength = HEADER + payload;
        }
      }
      const take = Math.min(this.frameLength - this.partsLength, chunk.length - offset);
      this.hold(chunk.subarray(offset, offset + take));
      offset += take;
      if (this.partsLength === this.frameLength) {
        out.push(concat(this.parts, this.partsLength));
        this.parts = [];
        this.partsLength = 0;
        this.frameLength = -1;
      }
    }
    return true;
  }

  /** An incomplete frame at end of input is dropped: half a message is not a message. */
  end(): Uint8Array | null {
    this.parts = [];
    this.partsLength = 0;
    this.frameLength = -1;
    return null;
  }

  private hold(part: Uint8Array): void {
    if (part.length === 0) return;
    this.parts.push(part);
    this.partsLength += part.length;
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

function concat(parts: readonly Uint8Array[], length: number, tail?: Uint8Array): Uint8Array {
  const total = length + (tail?.length ?? 0);
  if (parts.length === 1 && tail === undefined) return parts[0] as Uint8Array;
  const out = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  if (tail !== undefined) out.set(tail, at);
  return out;
}
