/**
 * How a connection with faults ends. Once nothing is held, a cut connection
 * is cut (FIN, or RST for --reset-after) and a finished one closed; a stage
 * may hold that end back (--slow-close). Stages with a cut at a set time
 * (--timeout, --limit-time) get it from the connection's clock: one timer
 * per connection, for the earliest such time or the end of a hold, cleared
 * when the connection closes (discardPending), so timers never outnumber
 * the open connections.
 */
import type { Connection, EchoSocket } from "../connection.ts";
import * as lifecycle from "../lifecycle.ts";
import { held } from "./pending.ts";
import type { Cut, FaultStage } from "./stage.ts";
import type { FaultState } from "./state.ts";

export interface Ending {
  /** For a connection whose stages cut at a set time (FaultState.timed): sets the connection's clock to its stages' earliest cut (after open, after a unit). */
  arm(socket: EchoSocket, f: FaultState): void;
  /** Once nothing is held: end a cut connection, or a finished one; else resume reading below the low mark. */
  settle(socket: EchoSocket, conn: Connection, f: FaultState): void;
}

/** The stages are each connection's own (FaultState.stages): a control API change may replace them. */
export function createEnding(ctx: lifecycle.EchoContext): Ending {
  const { stats, lowWater } = ctx;

  const arm = (socket: EchoSocket, f: FaultState): void => {
    if (!f.faulty || f.endHold !== 0) return;
    const stages = f.stages;
    let at = 0;
    let awaitCut = false;
    for (let i = 0; i < stages.length; i++) {
      const stage = stages[i] as FaultStage;
      const due = stage.cutAt?.(f.stageStates[i]) ?? 0;
      if (due <= 0) continue;
      if (at === 0 || due < at) at = due;
      if (stage.holdsEnd === true) awaitCut = true;
    }
    f.awaitCut = awaitCut;
    if (at === f.clockAt) return;
    if (f.clock !== null) clearTimeout(f.clock);
    f.clockAt = at;
    f.clock = at === 0 ? null : setTimeout(onClock, Math.max(0, at - performance.now()), socket);
  };

  const onClock = (socket: EchoSocket): void => {
    const conn = socket.data;
    const f = conn.faults as FaultState;
    f.clock = null;
    if (conn.ended || conn.lingering) return;
    if (f.endHold === 1) {
      f.endHold = 2;
    } else {
      // Every cut due by the time this clock was set for (a timer may fire a little early).
      const at = f.clockAt;
      const stages = f.stages;
      f.clockAt = 0;
      for (let i = 0; i < stages.length; i++) {
        const stage = stages[i] as FaultStage;
        const due = stage.cutAt?.(f.stageStates[i]) ?? 0;
        if (due > 0 && due <= at) stage.expire?.(f.stageStates[i], f, stats);
      }
      arm(socket, f);
    }
    settle(socket, conn, f);
  };

  /** True while the end is held back; starts the hold the first time. Shutdown does not wait for it. */
  const holding = (socket: EchoSocket, f: FaultState): boolean => {
    if (!f.holds || !f.faulty || f.endHold === 2 || ctx.draining) return false;
    if (f.endHold === 1) return true;
    const stages = f.stages;
    let ms = 0;
    for (let i = 0; i < stages.length; i++) {
      const holdEnd = (stages[i] as FaultStage).holdEnd;
      if (holdEnd !== undefined) ms = Math.max(ms, holdEnd(f.stageStates[i], stats));
    }
    if (f.clock !== null) clearTimeout(f.clock);
    f.endHold = 1;
    f.clock = setTimeout(onClock, ms, socket);
    return true;
  };

  const settle = (socket: EchoSocket, conn: Connection, f: FaultState): void => {
    if (f.pendingBytes === 0 && conn.queued === 0) {
      const why = f.cut;
      if (why !== null || (conn.endWhenFlushed && !f.awaitCut)) {
        if (!f.cutDone && !holding(socket, f)) {
          if (why === null) lifecycle.finish(socket, conn);
          else cut(socket, conn, f, why);
        }
        return;
      }
    }
    if (conn.paused && !ctx.draining && !ctx.overBudget && held(conn, f) <= lowWater)
      lifecycle.resume(socket, conn);
  };

  const cut = (socket: EchoSocket, conn: Connection, f: FaultState, why: Cut): void => {
    f.cutDone = true;
    conn.reason ??= why;
    if (why === "fault_reset") {
      stats.faults.reset++;
      socket.terminate();
      return;
    }
    if (why === "fault_close") stats.faults.close++;
    // Our FIN now; input that still arrives is read and dropped (see finish).
    lifecycle.finish(socket, conn);
  };

  return { arm, settle };
}
