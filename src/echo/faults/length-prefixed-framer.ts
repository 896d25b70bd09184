/**
 * `--framing length-prefixed`: a 4-byte big-endian payload length, then the
 * payload, echoed with its header. Whole frames inside a chunk go out as one
 * run (a subarray, no copy); a frame cut across chunks is collected in one
 * buffer capped at the frame's size (see framer.ts).
 */
import { addRun, type FrameBatch, type Framer, Held } from "./framer.ts";

const HEADER = 4;

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
