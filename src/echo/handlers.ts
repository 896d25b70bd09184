/**
 * The socket handlers shared by every connection of a listener: this is the
 * hot path. One handler object for all sockets, state in `socket.data`,
 * plain-number counters, no closures or string conversions per chunk; debug
 * and data logging each sit behind one boolean so they cost nothing when off.
 */
import type { SocketHandler } from "bun";
import type { Logger } from "../log.ts";
import {
  type Connection,
  createConnection,
  discard,
  type EchoSocket,
  enqueue,
  flush,
} from "./connection.ts";
import { type CloseReason, type EchoStats, observeDuration, type RejectReason } from "./stats.ts";

/** How many bytes of each connection --log-data dumps, in total. */
export const LOG_DATA_CAP = 64;

/** Shared, mutable state of one listener that the handlers read. */
export interface EchoContext {
  readonly stats: EchoStats;
  readonly log: Logger;
  readonly maxConnections: number;
  /** Why a connection past maxConnections is rejected: the flag, or the open-files limit. */
  readonly limitReason: RejectReason;
  /** High-water mark: pause reading above this many queued bytes. */
  readonly highWater: number;
  /** Low-water mark: resume reading at or below this many queued bytes. */
  readonly lowWater: number;
  readonly debug: boolean;
  readonly logData: boolean;
  /** Coarse clock (ms), advanced by the idle sweep; cheaper than a clock call per chunk. */
  now: number;
  /** True once shutdown began: no new connections, no more reading. */
  draining: boolean;
  readonly sockets: Set<EchoSocket>;
  /** Rejections since the last warning line, so a flood cannot flood the log. */
  rejectedSinceLog: number;
  lastRejectLog: number;
}

export function createHandlers(ctx: EchoContext): SocketHandler<Connection> {
  const { stats, highWater, lowWater } = ctx;

  return {
    open(socket) {
      if (stats.active >= ctx.maxConnections) {
        reject(ctx, socket as EchoSocket);
        return;
      }
      socket.data = createConnection(
        performance.now(),
        `${socket.remoteAddress}:${socket.remotePort}`,
      );
      stats.accepted++;
      stats.active++;
      ctx.sockets.add(socket as EchoSocket);
      if (ctx.debug) ctx.log.debug({ remote: socket.data.remote }, "connection opened");
    },

    data(socket, chunk) {
      const conn = socket.data;
      const length = chunk.length;
      if (conn.lingering) {
        stats.discardedBytes += length;
        return;
      }
      conn.bytesIn += length;
      conn.lastActive = ctx.now;
      stats.receivedBytes += length;
      if (ctx.logData && conn.bytesIn - length < LOG_DATA_CAP) logData(ctx, conn, chunk, length);

      if (conn.queued === 0) {
        const written = socket.write(chunk);
        if (written === length) {
          conn.bytesOut += length;
          stats.sentBytes += length;
          return;
        }
        if (written < 0) return; // closed under us; the close handler accounts for it
        conn.bytesOut += written;
        stats.sentBytes += written;
        enqueue(conn, stats, written === 0 ? chunk : chunk.subarray(written));
      } else {
        enqueue(conn, stats, chunk);
      }
      if (conn.queued > highWater && !conn.paused) {
        conn.paused = true;
        stats.backpressurePauses++;
        socket.pause();
      }
    },

    drain(socket) {
      const conn = socket.data;
      // pause() and resume() each fire a drain with nothing queued: keep this cheap then.
      if (conn === undefined || conn.ended) return;
      if (conn.queued > 0) {
        conn.lastActive = ctx.now;
        if (!flush(socket, conn, stats)) {
          if (conn.paused && conn.queued <= lowWater && !ctx.draining) resume(socket, conn);
          return;
        }
      }
      if (conn.endWhenFlushed) {
        finish(socket, conn);
      } else if (conn.paused && !ctx.draining) {
        resume(socket, conn);
      }
    },

    end(socket) {
      const conn = socket.data;
      if (conn === undefined) {
        socket.end();
        return;
      }
      conn.peerEnded = true;
      conn.endWhenFlushed = true;
      if (conn.queued === 0 || conn.lingering) finish(socket, conn);
    },

    error(socket, error) {
      const conn = socket.data;
      if (conn !== undefined && conn.reason === null) conn.reason = reasonForError(error);
    },

    close(socket, error) {
      const conn = socket.data;
      if (conn === undefined) return; // a rejected connection, already counted
      ctx.sockets.delete(socket);
      const reason: CloseReason = conn.reason ?? (error ? reasonForError(error) : "peer_closed");
      discard(conn, stats);
      stats.active--;
      stats.closed[reason]++;
      const seconds = (performance.now() - conn.openedAt) / 1000;
      observeDuration(stats, seconds);
      if (ctx.debug) {
        ctx.log.debug(
          {
            remote: conn.remote,
            bytesIn: conn.bytesIn,
            bytesOut: conn.bytesOut,
            durationMs: Math.round(seconds * 1000),
            reason,
          },
          "connection closed",
        );
      }
    },
  } satisfies SocketHandler<Connection>;
}

function resume(socket: EchoSocket, conn: Connection): void {
  conn.paused = false;
  socket.resume();
}

/**
 * Called once everything the peer sent has been written back. If the peer
 * already sent its FIN, close. Otherwise (shutdown) send our FIN but keep
 * reading and dropping input until the peer closes: closing a socket whose
 * receive buffer holds unread bytes makes the kernel send RST, which throws
 * away echo still in the send buffer (Apache's "lingering close").
 */
export function finish(socket: EchoSocket, conn: Connection): void {
  if (conn.ended) return;
  if (conn.peerEnded) {
    conn.ended = true;
    socket.end();
    return;
  }
  if (conn.lingering) return;
  conn.lingering = true;
  socket.shutdown();
  if (conn.paused) resume(socket, conn);
}

function reasonForError(error: Error): CloseReason {
  const code = (error as Error & { code?: string }).code;
  return code === "ECONNRESET" || code === "EPIPE" ? "peer_reset" : "error";
}

function reject(ctx: EchoContext, socket: EchoSocket): void {
  ctx.stats.rejected[ctx.limitReason]++;
  ctx.rejectedSinceLog++;
  logRejections(ctx, performance.now());
  // FIN now. Bun closes the descriptor right away (the kernel finishes the
  // handshake), so rejected connections hold no file descriptor.
  socket.end();
}

/**
 * Logs rejections at most once a second, with the count since the last line,
 * so that a flood cannot flood the log. The idle sweep calls this too, so the
 * last burst is always reported.
 */
export function logRejections(ctx: EchoContext, now: number): void {
  if (ctx.rejectedSinceLog === 0 || now - ctx.lastRejectLog < 1000) return;
  ctx.log.warn(
    { reason: ctx.limitReason, rejected: ctx.rejectedSinceLog, maxConnections: ctx.maxConnections },
    "connections rejected",
  );
  ctx.rejectedSinceLog = 0;
  ctx.lastRejectLog = now;
}

function logData(ctx: EchoContext, conn: Connection, chunk: Uint8Array, length: number): void {
  const offset = conn.bytesIn - length;
  const take = Math.min(length, LOG_DATA_CAP - offset);
  ctx.log.info(
    {
      remote: conn.remote,
      offset,
      length,
      hex: Buffer.from(chunk.buffer, chunk.byteOffset, take).toString("hex"),
    },
    "data",
  );
}
