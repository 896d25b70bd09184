/**
 * The idle sweep of a stream listener (server.ts runs it every tick): it
 * advances the coarse clock, re-checks a memory budget that is over its mark, and closes connections
 * idle past --idle-timeout.
 */
import type { EchoContext } from "./lifecycle.ts";
import { type MemoryBudget, settleBudget } from "./memory-budget.ts";

export function sweepIdle(ctx: EchoContext, idleMs: number, tickMs: number): void {
  ctx.now = performance.now();
  if (ctx.overBudget) settleBudget(ctx.memory as MemoryBudget);
  if (idleMs <= 0) return;
  // lastActive lags real time by up to one tick, so wait one tick more: never early.
  const cutoff = ctx.now - idleMs - tickMs;
  for (const socket of ctx.sockets) {
    const conn = socket.data;
    if (conn.lastActive <= cutoff && conn.reason === null) {
      conn.reason = "idle_timeout";
      socket.terminate();
    }
  }
}
