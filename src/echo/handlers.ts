/**
 * The raw socket handlers, shared by every connection of a listener without
 * framing or faults: this is the hot path. One handler object for all
 * sockets, state in `socket.data`, plain-number counters, no closures or
 * string conversions per chunk, and no check of any fault (a listener with
 * faults gets the handlers of faults/pipeline.ts instead); debug and data
 * logging each sit behind one boolean so they cost nothing when off.
 */
import type { SocketHandler } from "bun";
import { RELEASE_AT, release } from "./coalesce.ts";
import { type Connection, type EchoSocket, enqueue, flush } from "./connection.ts";
import {
  closeConnection,
  type EchoContext,
  finish,
  openConnection,
  pauseAboveHighWater,
  receive,
  recordError,
  resume,
} from "./lifecycle.ts";
import { type MemoryBudget, settleBudget } from "./memory-budget.ts";

export function createHandlers(ctx: EchoContext): SocketHandler<Connection> {
  const { stats, lowWater } = ctx;

  return {
    open(socket) {
      openConnection(ctx, socket as EchoSocket);
    },

    data(socket, chunk) {
      const conn = socket.data;
      if (!receive(ctx, conn, chunk, conn.lingering)) return;
      const length = chunk.length;
      if (conn.queued === 0) {
        const written = socket.write(chunk);
        if (written === length) {
          conn.bytesOut += length;
          stats.sentBytes += length;
          if (length >= RELEASE_AT) release(chunk);
          return;
        }
        if (written < 0) {
          stats.discardedBytes += length; // closed under us: the client is gone
          return;
        }
        conn.bytesOut += written;
        stats.sentBytes += written;
        enqueue(conn, stats, written === 0 ? chunk : chunk.subarray(written));
      } else {
        enqueue(conn, stats, chunk);
      }
      pauseAboveHighWater(ctx, socket, conn, conn.queued);
    },

    drain(socket) {
      const conn = socket.data;
      // pause() and resume() each fire a drain with nothing queued: keep this cheap then.
      if (conn === undefined || conn.ended) return;
      if (conn.queued > 0) {
        conn.lastActive = ctx.now;
        const empty = flush(socket, conn, stats);
        // Over --max-memory nobody resumes on their own; bytes just left, so maybe all do.
        if (ctx.overBudget) settleBudget(ctx.memory as MemoryBudget);
        if (!empty) {
          if (conn.paused && conn.queued <= lowWater && !ctx.draining && !ctx.overBudget) {
            resume(socket, conn);
          }
          return;
        }
      }
      if (conn.endWhenFlushed) {
        finish(socket, conn);
      } else if (conn.paused && !ctx.draining && !ctx.overBudget) {
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

    error: recordError,

    close(socket, error) {
      closeConnection(ctx, socket, error);
    },
  } satisfies SocketHandler<Connection>;
}
