/**
 * The socket handlers of a listener with framing or faults turned on,
 * composed once per listener from its plan. The raw handlers (handlers.ts)
 * stay untouched, with no per-chunk check of these features: server.ts picks
 * one handler object or the other when the listener starts. Here each chunk
 * (or run of framed messages) goes through a small per-connection pipeline:
 * the framer, then each fault stage's `enter` (stage.ts) into a queue of
 * pending bytes, then each stage's `leave` out of it into the usual write
 * queue. Bytes waiting in that pipeline count against --max-buffer like
 * queued ones: past the mark, echod stops reading, so a delayed or throttled
 * echo never grows memory beyond the per-connection bound. How a connection
 * ends, and the clock of the faults that act at a set time, are in ending.ts.
 */
import type { SocketHandler } from "bun";
import { createLimitedWarning } from "../../log-limit.ts";
import { type Connection, type EchoSocket, flush, tidyQueue, writeOrQueue } from "../connection.ts";
// By module name: the steps shared with the raw handlers stand apart from the fault ones.
import * as lifecycle from "../lifecycle.ts";
import { type MemoryBudget, settleBudget } from "../memory-budget.ts";
import { createEnding } from "./ending.ts";
import { clearFrameBatch, type Framer } from "./framer.ts";
import { admit, discardPending, frameChunk, held } from "./pending.ts";
import type { FaultPlan } from "./plan.ts";
import { adoptPlan, createFaultState, type FaultState, type PlanHolder } from "./state.ts";
import { type Emit, emitAnsweringWhoami, type Whoami } from "./whoami.ts";

/**
 * `holder` is the listener's current plan: a new connection takes it, an
 * open one takes it at its next chunk once its epoch has moved on (a
 * control API change with scope all), all stages at once.
 */
export function createFaultHandlers(
  ctx: lifecycle.EchoContext,
  holder: PlanHolder,
  whoami: Whoami | null = null,
): SocketHandler<Connection> {
  const { stats, lowWater } = ctx;
  const plan: FaultPlan = holder.plan; // framing and message size never change
  const { arm, settle } = createEnding(ctx);
  // Made on first use for a connection that opened on the raw handlers (before a control
  // API change moved the listener here): no faults, until a change with scope all.
  const stateOf = (conn: Connection): FaultState => {
    if (conn.faults !== null) return conn.faults as FaultState;
    const f = createFaultState(holder.clean, performance.now(), holder.rawEpoch);
    conn.faults = f;
    return f;
  };
  const tooLarge = createLimitedWarning(
    ctx.log,
    "connections closed: message over --max-message-size",
    "closed",
  );

  /**
   * Sends one chunk, or a run of `messages` whole messages, through the
   * stages into the pending queue (or straight out on a connection without
   * faults).
   */
  const emit = (
    socket: EchoSocket,
    conn: Connection,
    f: FaultState,
    unit: Uint8Array,
    messages: number,
  ): void => {
    // Behind bytes still pending (from a plan this connection had before), even without faults.
    if (!f.faulty && f.pendingBytes === 0) {
      writeOrQueue(socket, conn, stats, unit);
      return;
    }
    admit(f.stages, conn, f, unit, messages, stats);
    if (f.timed) arm(socket, f);
  };

  const emitUnit: Emit = (socket, conn, unit, messages) =>
    emit(socket, conn, conn.faults as FaultState, unit, messages);

  /** Runs one chunk through the framer and sends the whole messages on, in runs. */
  const frame = (
    socket: EchoSocket,
    conn: Connection,
    f: FaultState,
    framer: Framer,
    chunk: Uint8Array,
  ): void => {
    if (!frameChunk(f, framer, chunk, stats)) {
      tooLarge({ framing: plan.framing, maxMessageSize: plan.maxMessageSize });
    }
    const { runs, counts } = f.batch;
    for (let i = 0; i < runs.length; i++) {
      if (whoami === null) emit(socket, conn, f, runs[i] as Uint8Array, counts[i] as number);
      else
        emitAnsweringWhoami(
          whoami,
          socket,
          conn,
          runs[i] as Uint8Array,
          counts[i] as number,
          stats,
          emitUnit,
        );
    }
    clearFrameBatch(f.batch);
  };

  /** Moves pending bytes that every stage lets go to the socket, then settles the connection. */
  const pump = (socket: EchoSocket, conn: Connection, f: FaultState): void => {
    const { pending, dueTimes, stages } = f;
    let head = f.head;
    const now = performance.now();
    while (head < pending.length && conn.queued === 0) {
      const chunk = pending[head] as Uint8Array;
      let n = chunk.length;
      let wait = -1;
      for (let i = 0; i < stages.length; i++) {
        const leave = (stages[i] as (typeof stages)[number]).leave;
        if (leave === undefined) continue;
        const may = leave(f.stageStates[i], n, now, dueTimes[head] as number);
        if (may < 0) {
          wait = -may;
          break;
        }
        n = may;
      }
      if (wait >= 0) {
        schedule(socket, f, wait);
        break;
      }
      if (n === chunk.length) {
        head++;
      } else {
        pending[head] = chunk.subarray(n);
      }
      f.pendingBytes -= n;
      stats.bufferedBytes -= n;
      conn.lastActive = ctx.now;
      writeOrQueue(socket, conn, stats, n === chunk.length ? chunk : chunk.subarray(0, n));
      if (f.writePerTurn && head < pending.length) {
        schedule(socket, f, 0);
        break;
      }
    }
    f.head = tidyQueue(f, pending, head, dueTimes);
    settle(socket, conn, f);
  };

  const onTimer = (socket: EchoSocket): void => {
    const conn = socket.data;
    const f = conn.faults as FaultState;
    f.timer = null;
    if (!conn.ended) pump(socket, conn, f);
  };

  const schedule = (socket: EchoSocket, f: FaultState, ms: number): void => {
    if (f.timer === null) f.timer = setTimeout(onTimer, ms, socket);
  };

  return {
    open(socket) {
      const conn = lifecycle.openConnection(ctx, socket as EchoSocket);
      if (conn === null) return;
      const f = createFaultState(holder.plan, performance.now(), holder.epoch);
      conn.faults = f;
      if (f.timed) arm(socket as EchoSocket, f);
    },

    data(socket, chunk) {
      const conn = socket.data;
      const f = stateOf(conn);
      if (!lifecycle.receive(ctx, conn, chunk, conn.lingering || f.cut !== null)) return;
      if (f.epoch !== holder.epoch) {
        adoptPlan(f, holder.plan, holder.epoch, performance.now());
        if (f.timed) arm(socket, f);
      }
      // A connection with nothing to do here (--control or --faults, no fault drawn): as raw.
      if (!f.faulty && f.framer === null && f.pendingBytes === 0) {
        writeOrQueue(socket, conn, stats, chunk);
        lifecycle.pauseAboveHighWater(ctx, socket, conn, conn.queued);
        return;
      }
      if (f.framer === null) {
        emit(socket, conn, f, chunk, 1);
      } else {
        frame(socket, conn, f, f.framer, chunk);
      }
      if (f.pendingBytes > 0) pump(socket, conn, f);
      if (f.cut !== null) {
        settle(socket, conn, f);
      } else {
        lifecycle.pauseAboveHighWater(ctx, socket, conn, held(conn, f));
      }
    },

    drain(socket) {
      const conn = socket.data;
      if (conn === undefined || conn.ended) return;
      const f = stateOf(conn);
      if (conn.queued > 0) {
        conn.lastActive = ctx.now;
        const empty = flush(socket, conn, stats);
        if (ctx.overBudget) settleBudget(ctx.memory as MemoryBudget);
        if (!empty) {
          if (conn.paused && !ctx.draining && !ctx.overBudget && held(conn, f) <= lowWater)
            lifecycle.resume(socket, conn);
          return;
        }
      }
      pump(socket, conn, f);
    },

    end(socket) {
      const conn = socket.data;
      if (conn === undefined) {
        socket.end();
        return;
      }
      const f = stateOf(conn);
      conn.peerEnded = true;
      conn.endWhenFlushed = true;
      if (conn.lingering) {
        lifecycle.finish(socket, conn);
        return;
      }
      if (f.framer !== null && f.cut === null) {
        const partial = f.framer.buffered;
        const tail = f.framer.end();
        stats.bufferedBytes -= partial;
        if (tail === null) {
          stats.discardedBytes += partial;
        } else {
          stats.messages++;
          emit(socket, conn, f, tail, 1);
        }
      }
      pump(socket, conn, f);
    },

    error: lifecycle.recordError,

    close(socket, error) {
      const f = socket.data?.faults as FaultState | null | undefined;
      if (f) discardPending(f, stats);
      lifecycle.closeConnection(ctx, socket, error);
    },
  } satisfies SocketHandler<Connection>;
}
