/**
 * `--max-memory`: one budget for the bytes queued across every connection
 * of every stream listener of this process. When the total passes it, echod
 * stops reading from every connection that has bytes queued (whatever its
 * own --max-buffer allows) until the total drains below half; nothing is
 * dropped, TCP flow control holds the clients back. With --workers each
 * worker process has budget / N of its own (worker-config.ts).
 *
 * Cost when under budget: the check runs only where a chunk was queued (the
 * kernel did not take it all), never on the raw path's write-through case,
 * and adds up each listener's bufferedBytes (at most three) and compares.
 */
import type { Connection, EchoSocket } from "./connection.ts";
import { pendingBytes } from "./faults/pending.ts";
import type { EchoStats } from "./stats.ts";

/** What the budget needs of each listener it covers. */
export interface BudgetMember {
  readonly stats: EchoStats;
  readonly sockets: Set<EchoSocket>;
  readonly lowWater: number;
  readonly draining: boolean;
  /** Set while the process is over budget: the handlers then resume nobody. */
  overBudget: boolean;
}

export interface MemoryBudget {
  /** Bytes; always > 0 (no budget is null). */
  readonly limit: number;
  readonly members: BudgetMember[];
  over: boolean;
}

export function createMemoryBudget(limit: number): MemoryBudget | null {
  return limit > 0 ? { limit, members: [], over: false } : null;
}

/** Bytes held now across the listeners (queued, in fault stages, partial frames). */
export function queuedBytes(budget: MemoryBudget): number {
  let total = 0;
  for (const m of budget.members) total += m.stats.bufferedBytes;
  return total;
}

/**
 * After `conn` (not paused) queued bytes: if the process is, or now goes,
 * over budget, pause it (and on going over, every connection with bytes queued).
 */
export function checkBudget(
  budget: MemoryBudget,
  member: BudgetMember,
  socket: EchoSocket,
  conn: Connection,
): void {
  if (!budget.over) {
    if (queuedBytes(budget) <= budget.limit) return;
    budget.over = true;
    for (const m of budget.members) {
      m.overBudget = true;
      for (const s of m.sockets) {
        const c = s.data;
        if (!c.paused && !c.lingering && c.queued + pendingBytes(c) > 0) pause(m, s, c);
      }
    }
  }
  if (!conn.paused) pause(member, socket, conn);
}

/**
 * Once bytes left (a flush, a close, the sweep): below half the budget,
 * resume every connection paused that its own queue does not hold back.
 */
export function settleBudget(budget: MemoryBudget): void {
  if (!budget.over || queuedBytes(budget) >= budget.limit / 2) return;
  budget.over = false;
  for (const m of budget.members) {
    m.overBudget = false;
    if (m.draining) continue;
    for (const s of m.sockets) {
      const c = s.data;
      if (c.paused && !c.ended && c.queued + pendingBytes(c) <= m.lowWater) {
        c.paused = false;
        s.resume();
      }
    }
  }
}

function pause(member: BudgetMember, socket: EchoSocket, conn: Connection): void {
  conn.paused = true;
  member.stats.memoryPauses++;
  socket.pause();
}
