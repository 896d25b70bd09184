/**
 * Per-connection state, kept in `socket.data`, and the write queue that
 * holds what the kernel did not take yet. `socket.write` in Bun returns the
 * number of bytes sent (possibly fewer than given, 0 when the send buffer is
 * full, -1 once closed); the unsent tail is ours to keep and retry on drain.
 */

import type { Socket } from "bun";
import { appendCoalesced, type BlockHolder, dropBlock, RELEASE_AT, release } from "./coalesce.ts";
import type { ProxySource } from "./proxy/types.ts";
import type { CloseReason, EchoStats } from "./stats.ts";

export interface Connection extends BlockHolder {
  /**
   * Chunks waiting to be written, oldest at `head`. Buffers from `data` are
   * never reused by Bun, so large ones are queued without copying; small ones
   * are copied into one block (see coalesce.ts) so that memory follows bytes.
   */
  queue: Uint8Array[];
  head: number;
  /** Bytes in `queue` from `head` on. */
  queued: number;
  paused: boolean;
  /** The peer sent FIN (or shutdown began): end our side once the queue is empty. */
  endWhenFlushed: boolean;
  /** The peer sent FIN: nothing more will arrive. */
  peerEnded: boolean;
  /** We sent our FIN during shutdown and now read and drop input until the peer closes (see finish). */
  lingering: boolean;
  ended: boolean;
  /** Set by whoever decides to close; the close handler falls back on what the socket reports. */
  reason: CloseReason | null;
  bytesIn: number;
  bytesOut: number;
  openedAt: number;
  /** Coarse timestamp (ms) of the last byte in either direction, for the idle sweep. */
  lastActive: number;
  /** "address:port" of the peer, for log lines; empty unless debug or data logging is on. */
  remote: string;
  /** The peer's IP address when --max-connections-per-ip counts it, else null. */
  ip: string | null;
  /** The client a PROXY protocol header named (--banner's {remote}); null when the socket's peer is the client. */
  proxied: ProxySource | null;
  /**
   * Framing and fault state (faults/pipeline.ts), only on listeners with
   * either turned on. Opaque here: this module knows no fault.
   */
  faults: object | null;
}

export type EchoSocket = Socket<Connection>;

export function createConnection(
  now: number,
  remote: string,
  ip: string | null = null,
  proxied: ProxySource | null = null,
): Connection {
  return {
    queue: [],
    block: null,
    blockUsed: 0,
    head: 0,
    queued: 0,
    paused: false,
    endWhenFlushed: false,
    peerEnded: false,
    lingering: false,
    ended: false,
    reason: null,
    bytesIn: 0,
    bytesOut: 0,
    openedAt: now,
    lastActive: now,
    remote,
    ip,
    proxied,
    faults: null,
  };
}

const EMPTY = new Uint8Array(0);

/** Past this many consumed entries a queue array is compacted, so it never grows without bound. */
const COMPACT_AFTER = 1024;

/**
 * Tidies a queue whose live entries start at `head`, after entries were
 * taken from it: emptied (and its coalescing block dropped) when all were,
 * compacted past COMPACT_AFTER consumed entries. `parallel` (such as due
 * times) is kept in step. Returns the new head.
 */
export function tidyQueue(
  holder: BlockHolder,
  list: unknown[],
  head: number,
  parallel?: unknown[],
): number {
  if (head === list.length) {
    list.length = 0;
    if (parallel !== undefined) parallel.length = 0;
    dropBlock(holder);
    return 0;
  }
  if (head > COMPACT_AFTER) {
    list.splice(0, head);
    parallel?.splice(0, head);
    return 0;
  }
  return head;
}

export function enqueue(conn: Connection, stats: EchoStats, chunk: Uint8Array): void {
  appendCoalesced(conn, conn.queue, conn.head, chunk, true);
  conn.queued += chunk.length;
  stats.bufferedBytes += chunk.length;
  if (conn.queued > stats.peakConnectionBuffer) stats.peakConnectionBuffer = conn.queued;
}

/**
 * Writes queued chunks until the kernel stops taking them. Returns true when
 * the queue is empty afterwards.
 */
export function flush(socket: EchoSocket, conn: Connection, stats: EchoStats): boolean {
  const queue = conn.queue;
  let head = conn.head;
  while (head < queue.length) {
    const chunk = queue[head] as Uint8Array;
    const written = socket.write(chunk);
    if (written <= 0) break;
    conn.queued -= written;
    conn.bytesOut += written;
    stats.bufferedBytes -= written;
    stats.sentBytes += written;
    if (written < chunk.length) {
      queue[head] = chunk.subarray(written);
      break;
    }
    // Written whole: free it now rather than leave it to the collector (see RELEASE_AT).
    if (chunk.length >= RELEASE_AT) release(chunk);
    queue[head] = EMPTY;
    head++;
  }
  conn.head = tidyQueue(conn, queue, head);
  return queue.length === 0;
}

/**
 * Writes `chunk` now if nothing is queued ahead of it, and queues what the
 * kernel does not take. The raw echo path inlines the same steps.
 */
export function writeOrQueue(
  socket: EchoSocket,
  conn: Connection,
  stats: EchoStats,
  chunk: Uint8Array,
): void {
  if (conn.queued > 0) {
    enqueue(conn, stats, chunk);
    return;
  }
  const written = socket.write(chunk);
  if (written < 0) {
    stats.discardedBytes += chunk.length; // closed under us: the client is gone
    return;
  }
  conn.bytesOut += written;
  stats.sentBytes += written;
  if (written < chunk.length) enqueue(conn, stats, written === 0 ? chunk : chunk.subarray(written));
}

/** Drops what is still queued (the socket is gone): no longer buffered, never sent, so discarded. */
export function discard(conn: Connection, stats: EchoStats): void {
  stats.bufferedBytes -= conn.queued;
  stats.discardedBytes += conn.queued;
  conn.queued = 0;
  conn.queue.length = 0;
  conn.head = 0;
  dropBlock(conn);
}
