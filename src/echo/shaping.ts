/**
 * The socket handlers of a listener with framing or faults turned on. The
 * raw handlers in handlers.ts stay untouched (no per-chunk check of these
 * features): server.ts picks one handler object or the other when the
 * listener starts. Here each chunk (or framed message) goes through a small
 * per-connection pipeline: the framer, then the fault budget (--close-after,
 * --reset-after), then a queue of bytes waiting for their --delay, for
 * --bandwidth tokens or for the next --slice, then the usual write queue.
 * Bytes waiting in that pipeline count against --max-buffer like queued
 * ones: past the mark, echod stops reading, so a delayed or throttled echo
 * never grows memory beyond the per-connection bound.
 */

import type { SocketHandler } from "bun";
import type { Config } from "../config.ts";
import { createLimitedWarning } from "../log-limit.ts";
import { appendCoalesced, type BlockHolder, dropBlock } from "./coalesce.ts";
import { type Connection, type EchoSocket, flush, writeOrQueue } from "./connection.ts";
import {
  clearFrameBatch,
  createFrameBatch,
  createFramer,
  type FrameBatch,
  type Framer,
} from "./framing.ts";
import {
  closeConnection,
  type EchoContext,
  finish,
  LOG_DATA_CAP,
  logData,
  openConnection,
  reasonForError,
  resume,
} from "./handlers.ts";

/** What a listener does beyond raw echo; null from `createShapingPlan` when nothing is on. */
export interface ShapingPlan {
  readonly framing: "line" | "length-prefixed" | null;
  readonly maxMessageSize: number;
  /** True when any fault is configured; `faultRate` then picks the connections that get them. */
  readonly faults: boolean;
  readonly faultRate: number;
  readonly delayMs: number;
  readonly jitterMs: number;
  readonly bandwidth: number;
  /** Token bucket size: 50 ms worth of --bandwidth, at least one byte. */
  readonly burst: number;
  readonly slice: number;
  /** Bytes to echo before the connection is ended (Infinity = never), and how. */
  readonly budget: number;
  readonly cutBy: "fault_close" | "fault_reset";
}

export function createShapingPlan(config: Config): ShapingPlan | null {
  const faults =
    config.delay.ms > 0 ||
    config.delay.jitterMs > 0 ||
    config.bandwidth > 0 ||
    config.slice > 0 ||
    config.closeAfter > 0 ||
    config.resetAfter > 0;
  if (config.framing === "none" && (!faults || config.faultRate === 0)) return null;
  return {
    framing: config.framing === "none" ? null : config.framing,
    maxMessageSize: config.maxMessageSize,
    faults,
    faultRate: config.faultRate,
    delayMs: config.delay.ms,
    jitterMs: config.delay.jitterMs,
    bandwidth: config.bandwidth,
    burst: Math.max(1, Math.floor(config.bandwidth / 20)),
    slice: config.slice,
    budget: config.closeAfter || config.resetAfter || Number.POSITIVE_INFINITY,
    cutBy: config.closeAfter > 0 ? "fault_close" : "fault_reset",
  };
}

/** Why a shaped connection stops echoing before the peer is done. */
type Cut = "message_too_large" | "fault_close" | "fault_reset";

export interface Shape extends BlockHolder {
  readonly framer: Framer | null;
  /** Scratch batch the framer fills for one chunk; reused. */
  readonly batch: FrameBatch;
  /** This connection drew the faults (see --fault-rate). */
  readonly faulty: boolean;
  /** Bytes waiting for their time, oldest at `head`, with the time (ms) each may go. */
  readonly pending: Uint8Array[];
  readonly due: number[];
  head: number;
  pendingBytes: number;
  /** The latest due time so far: jitter never reorders the echo. */
  lastDue: number;
  tokens: number;
  refilledAt: number;
  budget: number;
  cut: Cut | null;
  cutDone: boolean;
  timer: ReturnType<typeof setTimeout> | null;
}

function createShape(plan: ShapingPlan, now: number): Shape {
  const faulty = plan.faults && (plan.faultRate >= 1 || Math.random() < plan.faultRate);
  return {
    framer: plan.framing === null ? null : createFramer(plan.framing, plan.maxMessageSize),
    batch: createFrameBatch(),
    block: null,
    blockUsed: 0,
    faulty,
    pending: [],
    due: [],
    head: 0,
    pendingBytes: 0,
    lastDue: 0,
    tokens: plan.burst,
    refilledAt: now,
    budget: faulty ? plan.budget : Number.POSITIVE_INFINITY,
    cut: null,
    cutDone: false,
    timer: null,
  };
}

/** Past this many consumed entries the pending arrays are compacted. */
const COMPACT_AFTER = 1024;

/**
 * What one pending entry costs beyond its bytes, counted against the
 * high-water mark: a peer that trickles single bytes under --delay makes
 * one entry per millisecond, and the objects must be bounded, not only the
 * bytes (see coalesce.ts).
 */
export const PENDING_ENTRY_COST = 128;

/** Bytes a shaped connection holds against --max-buffer: queued, pending, and the pending entries' cost. */
function held(conn: Connection, shape: Shape): number {
  return (
    conn.queued + shape.pendingBytes + (shape.pending.length - shape.head) * PENDING_ENTRY_COST
  );
}

export function createShapedHandlers(
  ctx: EchoContext,
  plan: ShapingPlan,
): SocketHandler<Connection> {
  const { stats, highWater, lowWater } = ctx;
  const tooLarge = createLimitedWarning(
    ctx.log,
    "connections closed: message over --max-message-size",
    "closed",
  );

  /**
   * Sends one chunk, or a run of `messages` whole messages, into the fault
   * pipeline (or straight out on a connection without faults).
   */
  const emit = (
    socket: EchoSocket,
    conn: Connection,
    shape: Shape,
    unit: Uint8Array,
    messages: number,
  ): void => {
    if (!shape.faulty) {
      writeOrQueue(socket, conn, stats, unit);
      return;
    }
    let bytes = unit;
    if (bytes.length >= shape.budget) {
      bytes = bytes.subarray(0, shape.budget);
      stats.discardedBytes += unit.length - bytes.length;
      shape.cut ??= plan.cutBy;
    }
    shape.budget -= bytes.length;
    if (bytes.length === 0) return;
    let due = 0;
    if (plan.delayMs > 0 || plan.jitterMs > 0) {
      // Whole milliseconds, rounded up (never early): bytes that arrive within
      // the same millisecond share one entry.
      due = Math.ceil(performance.now() + plan.delayMs + Math.random() * plan.jitterMs);
      if (due < shape.lastDue) due = shape.lastDue;
      shape.lastDue = due;
      stats.faults.delay += messages;
    }
    if (plan.bandwidth > 0) stats.faults.bandwidth += messages;
    if (plan.slice > 0 && bytes.length > plan.slice) stats.faults.slice++;
    const { pending } = shape;
    const sameDue = pending.length > shape.head && shape.due[shape.due.length - 1] === due;
    if (!appendCoalesced(shape, pending, shape.head, bytes, sameDue)) shape.due.push(due);
    shape.pendingBytes += bytes.length;
    stats.bufferedBytes += bytes.length;
    const now = conn.queued + shape.pendingBytes;
    if (now > stats.peakConnectionBuffer) stats.peakConnectionBuffer = now;
  };

  /**
   * Runs one chunk through the framer. Whole messages go out in runs (one
   * write for many short lines); the partial one is held by the framer and
   * counted as buffered. Past --max-message-size the connection is cut and
   * what the framer held, and the rest of the chunk, count as discarded.
   */
  const frame = (
    socket: EchoSocket,
    conn: Connection,
    shape: Shape,
    framer: Framer,
    chunk: Uint8Array,
  ): void => {
    const batch = shape.batch;
    const before = framer.buffered;
    const ok = framer.push(chunk, batch);
    stats.messages += batch.messages;
    if (ok) {
      stats.bufferedBytes += framer.buffered - before;
    } else {
      stats.bufferedBytes -= before;
      stats.discardedBytes += chunk.length + before - batch.bytes;
      framer.end();
      shape.cut ??= "message_too_large";
      tooLarge({ framing: plan.framing, maxMessageSize: plan.maxMessageSize });
    }
    const { runs, counts } = batch;
    for (let i = 0; i < runs.length; i++) {
      emit(socket, conn, shape, runs[i] as Uint8Array, counts[i] as number);
    }
    clearFrameBatch(batch);
  };

  /** Moves pending bytes whose time has come to the socket, then settles the connection. */
  const pump = (socket: EchoSocket, conn: Connection, shape: Shape): void => {
    const { pending, due } = shape;
    let head = shape.head;
    const now = performance.now();
    while (head < pending.length && conn.queued === 0) {
      const wait = (due[head] as number) - now;
      if (wait > 0) {
        schedule(socket, shape, wait);
        break;
      }
      const chunk = pending[head] as Uint8Array;
      let n = chunk.length;
      if (plan.slice > 0 && n > plan.slice) n = plan.slice;
      if (plan.bandwidth > 0) {
        shape.tokens = Math.min(
          plan.burst,
          shape.tokens + ((now - shape.refilledAt) * plan.bandwidth) / 1000,
        );
        shape.refilledAt = now;
        const want = Math.min(n, plan.burst);
        if (shape.tokens < want) {
          schedule(socket, shape, ((want - shape.tokens) * 1000) / plan.bandwidth);
          break;
        }
        if (n > shape.tokens) n = Math.floor(shape.tokens);
        shape.tokens -= n;
      }
      if (n === chunk.length) {
        head++;
      } else {
        pending[head] = chunk.subarray(n);
      }
      shape.pendingBytes -= n;
      stats.bufferedBytes -= n;
      conn.lastActive = ctx.now;
      writeOrQueue(socket, conn, stats, n === chunk.length ? chunk : chunk.subarray(0, n));
      // One slice per turn of the event loop, so each leaves as its own write.
      if (plan.slice > 0 && head < pending.length) {
        schedule(socket, shape, 0);
        break;
      }
    }
    if (head === pending.length) {
      pending.length = 0;
      due.length = 0;
      head = 0;
      dropBlock(shape);
    } else if (head > COMPACT_AFTER) {
      pending.splice(0, head);
      due.splice(0, head);
      head = 0;
    }
    shape.head = head;
    settle(socket, conn, shape);
  };

  const onTimer = (socket: EchoSocket): void => {
    const conn = socket.data;
    const shape = conn.shape as Shape;
    shape.timer = null;
    if (!conn.ended) pump(socket, conn, shape);
  };

  const schedule = (socket: EchoSocket, shape: Shape, ms: number): void => {
    if (shape.timer === null) shape.timer = setTimeout(onTimer, ms, socket);
  };

  /** Once nothing is held: end a cut connection, or a finished one; else resume reading below the low mark. */
  const settle = (socket: EchoSocket, conn: Connection, shape: Shape): void => {
    if (shape.pendingBytes === 0 && conn.queued === 0) {
      if (shape.cut !== null) {
        if (!shape.cutDone) cut(socket, conn, shape, shape.cut);
        return;
      }
      if (conn.endWhenFlushed) {
        finish(socket, conn);
        return;
      }
    }
    if (conn.paused && !ctx.draining && held(conn, shape) <= lowWater) resume(socket, conn);
  };

  const cut = (socket: EchoSocket, conn: Connection, shape: Shape, why: Cut): void => {
    shape.cutDone = true;
    conn.reason ??= why;
    if (why === "fault_reset") {
      stats.faults.reset++;
      socket.terminate();
      return;
    }
    if (why === "fault_close") stats.faults.close++;
    // Our FIN now; input that still arrives is read and dropped (see finish).
    finish(socket, conn);
  };

  return {
    open(socket) {
      const conn = openConnection(ctx, socket as EchoSocket);
      if (conn !== null) conn.shape = createShape(plan, performance.now());
    },

    data(socket, chunk) {
      const conn = socket.data;
      const shape = conn.shape as Shape;
      const length = chunk.length;
      if (conn.lingering || shape.cut !== null) {
        stats.receivedBytes += length;
        stats.discardedBytes += length;
        return;
      }
      conn.bytesIn += length;
      conn.lastActive = ctx.now;
      stats.receivedBytes += length;
      if (ctx.logData && conn.bytesIn - length < LOG_DATA_CAP) logData(ctx, conn, chunk, length);

      if (shape.framer === null) {
        emit(socket, conn, shape, chunk, 1);
      } else {
        frame(socket, conn, shape, shape.framer, chunk);
      }
      if (shape.pendingBytes > 0) pump(socket, conn, shape);
      if (shape.cut !== null) {
        settle(socket, conn, shape);
      } else if (held(conn, shape) > highWater && !conn.paused) {
        conn.paused = true;
        stats.backpressurePauses++;
        socket.pause();
      }
    },

    drain(socket) {
      const conn = socket.data;
      if (conn === undefined || conn.ended) return;
      const shape = conn.shape as Shape;
      if (conn.queued > 0) {
        conn.lastActive = ctx.now;
        if (!flush(socket, conn, stats)) {
          if (conn.paused && !ctx.draining && held(conn, shape) <= lowWater) resume(socket, conn);
          return;
        }
      }
      pump(socket, conn, shape);
    },

    end(socket) {
      const conn = socket.data;
      if (conn === undefined) {
        socket.end();
        return;
      }
      const shape = conn.shape as Shape;
      conn.peerEnded = true;
      conn.endWhenFlushed = true;
      if (conn.lingering) {
        finish(socket, conn);
        return;
      }
      if (shape.framer !== null && shape.cut === null) {
        const partial = shape.framer.buffered;
        const tail = shape.framer.end();
        stats.bufferedBytes -= partial;
        if (tail === null) {
          stats.discardedBytes += partial;
        } else {
          stats.messages++;
          emit(socket, conn, shape, tail, 1);
        }
      }
      pump(socket, conn, shape);
    },

    error(socket, error) {
      const conn = socket.data;
      if (conn !== undefined && conn.reason === null) conn.reason = reasonForError(error);
    },

    close(socket, error) {
      const shape = socket.data?.shape;
      if (shape) {
        if (shape.timer !== null) clearTimeout(shape.timer);
        shape.timer = null;
        // What the client will never get: the pending bytes and a partial frame.
        const partial = shape.framer?.buffered ?? 0;
        shape.framer?.end();
        ctx.stats.bufferedBytes -= shape.pendingBytes + partial;
        ctx.stats.discardedBytes += shape.pendingBytes + partial;
        shape.pendingBytes = 0;
        shape.pending.length = 0;
        dropBlock(shape);
      }
      closeConnection(ctx, socket, error);
    },
  } satisfies SocketHandler<Connection>;
}
