/**
 * The bytes the harness sends, built once before the run so the hot loop
 * never allocates: a cycle of `count` messages of `size` bytes each. Every
 * message starts with its 4-byte sequence number in the cycle (big-endian)
 * and goes on with xorshift noise, so an echo that is corrupted, shifted,
 * duplicated or reordered differs from what was sent at that position.
 * Connections start at different messages of the cycle, so crossed streams
 * differ too. Senders and checkers walk the cycle by byte offset.
 */

/** Aim for about this many bytes in a cycle: large enough to tell positions apart, small enough to stay in cache. */
const CYCLE_TARGET_BYTES = 1024 * 1024;

export interface Pattern {
  readonly bytes: Buffer;
  /** Bytes in one message. */
  readonly size: number;
  /** Messages in one cycle; `bytes.length === size * count`. */
  readonly count: number;
}

export function createPattern(size: number): Pattern {
  if (!Number.isInteger(size) || size < 1)
    throw new RangeError(`message size ${size} must be >= 1`);
  const count = Math.max(4, Math.ceil(CYCLE_TARGET_BYTES / size));
  const bytes = Buffer.allocUnsafe(size * count);
  let x = 0x9e3779b9 | 0;
  for (let i = 0; i < bytes.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  // The stamp's low bytes, when a message is shorter than 4 bytes, so short messages still differ.
  const stamp = Math.min(4, size);
  for (let m = 0; m < count; m++) {
    const at = m * size;
    for (let b = 0; b < stamp; b++) bytes[at + b] = (m >>> (8 * (stamp - 1 - b))) & 0xff;
  }
  return { bytes, size, count };
}

/** Byte offset in the cycle where connection `index` starts: spread out so streams differ. */
export function startOffset(pattern: Pattern, index: number): number {
  return ((index * 7919) % pattern.count) * pattern.size;
}

/**
 * True if `chunk[from, from + length)` equals the cycle at `offset`. The range
 * must not cross the end of the cycle (messages never do, since the cycle
 * holds whole messages). Native compare, no allocation; a whole chunk (the
 * usual case: a read that does not wrap the cycle) takes the three-argument
 * form, which costs less per call than the five-argument one.
 */
export function matches(
  pattern: Pattern,
  offset: number,
  chunk: Buffer,
  from: number,
  length: number,
): boolean {
  if (from === 0 && length === chunk.length)
    return chunk.compare(pattern.bytes, offset, offset + length) === 0;
  return pattern.bytes.compare(chunk, from, from + length, offset, offset + length) === 0;
}
