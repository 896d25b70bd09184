/**
 * Keeps memory proportional to the bytes held. Bun hands every read to
 * `data` in a buffer of its own, so a peer that sends 1-byte segments makes
 * one small object per byte: queued as they came, 1 MiB of them cost about
 * 57 MiB of RSS. Below COALESCE_BELOW bytes a chunk is copied instead into a
 * block that the holder owns, and a chunk that lands right after the last
 * entry's bytes in that block just widens the entry. Held memory is then at
 * most the bytes held plus two blocks, plus the entries of larger chunks,
 * whose per-object overhead is small beside their size.
 */

/** Chunks shorter than this are copied into a block; longer ones are kept as they are. */
export const COALESCE_BELOW = 1024;
/** Size of one coalescing block. */
export const BLOCK_SIZE = 16 * 1024;

/** Who owns a coalescing block: a write queue, or a fault stage's pending list. */
export interface BlockHolder {
  block: Uint8Array | null;
  /** Bytes of `block` in use; the rest is free. */
  blockUsed: number;
}

/**
 * Appends `bytes` to `list` (whose live entries start at `first`). With
 * `mayExtend`, a small chunk may widen the last entry instead of adding one.
 * Returns true when it did, so that a caller with parallel arrays (such as
 * due times) knows no entry was added.
 */
export function appendCoalesced(
  holder: BlockHolder,
  list: Uint8Array[],
  first: number,
  bytes: Uint8Array,
  mayExtend: boolean,
): boolean {
  const n = bytes.length;
  if (n >= COALESCE_BELOW) {
    list.push(bytes);
    return false;
  }
  let block = holder.block;
  if (mayExtend && block !== null && list.length > first && holder.blockUsed + n <= block.length) {
    const last = list[list.length - 1] as Uint8Array;
    if (last.buffer === block.buffer && last.byteOffset + last.length === holder.blockUsed) {
      block.set(bytes, holder.blockUsed);
      holder.blockUsed += n;
      list[list.length - 1] = new Uint8Array(block.buffer, last.byteOffset, last.length + n);
      return true;
    }
  }
  if (block === null || holder.blockUsed + n > block.length) {
    block = new Uint8Array(BLOCK_SIZE);
    holder.block = block;
    holder.blockUsed = 0;
  }
  block.set(bytes, holder.blockUsed);
  list.push(block.subarray(holder.blockUsed, holder.blockUsed + n));
  holder.blockUsed += n;
  return false;
}

/** Forgets the block once nothing refers to it any more (the list is empty). */
export function dropBlock(holder: BlockHolder): void {
  holder.block = null;
  holder.blockUsed = 0;
}

/**
 * Chunks at least this big give their memory back as soon as the kernel has
 * taken all of them, instead of when the collector gets to them. Bun copies
 * every read into a new buffer; freed at once, the next read reuses the same,
 * cache-warm memory rather than pages the allocator has meanwhile handed back
 * to the kernel (bench/NOTES.md: a quarter less CPU per GB at 64 KiB), and a
 * queue that drains does not leave its written chunks behind as garbage (RSS
 * while draining stays near RSS while paused). Below this size the extra
 * objects that releasing allocates cost more than it saves.
 */
export const RELEASE_AT = 16 * 1024;

/**
 * Frees a chunk's memory now by detaching its ArrayBuffer (`transfer(0)`
 * hands the bytes to an empty buffer and frees the old ones). Only for a
 * chunk that owns its whole buffer, as Bun's read buffers do, and that
 * nothing refers to any more. A coalescing block is only ever covered whole
 * by one entry once it is full, and is never written to again, so it may go
 * the same way.
 */
export function release(chunk: Uint8Array): void {
  const buffer = chunk.buffer;
  if (buffer instanceof ArrayBuffer && chunk.byteLength === buffer.byteLength) buffer.transfer(0);
}
