/**
 * `--max-memory`: one budget for the bytes held across every connection of
 * every stream listener of this process (queued for writing, in fault
 * stages, in partial frames: the listeners' bufferedBytes). With --workers
 * each worker process has budget / N of its own (worker-config.ts).
 *
 * When the total passes `pauseAt` (a quarter of the budget, and at least
 * one 512 KiB read, short of it) echod stops reading from every connection.
 * The quarter is headroom for what still arrives: the chunk that passed
 * the mark, and the one read each connection resumed below half may bring
 * (with the mark one read short of the budget, the total still passed the
 * budget by up to 3 MiB per process, test/hostile/memory-budget.test.ts;
 * Bun delivers nothing to a socket once it is paused). Below half the budget it resumes them a
 * budget's room at a time (settleBudget): each connection awake then may
 * bring one more read before it is paused again. Nothing is dropped; TCP
 * flow control holds the clients back meanwhile.
 *
 * Pausing only the connections that have bytes queued was not enough: in a
 * flood of 2,000 clients the ones with nothing queued yet each brought one
 * more read (up to 512 KiB) and the total reached twice the budget; waking
 * every connection at once below half did the same.
 *
 * Cost when under budget: the check runs only where a chunk was queued (the
 * kernel did not take it all), never on the raw path's write-through case,
 * and adds up each listener's bufferedBytes (at most three) and compares.
 */
import type { EchoSocket } from "./connection.ts";
import { pendingBytes } from "./faults/pending.ts";
import type { EchoStats } from "./stats.ts";

/** The most one `data` call brings (Bun's read buffer is at most 512 KiB). */
export const MAX_READ = 512 * 1024;

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
  /** Past this total, reading stops: the limit less a quarter (at least one read). */
  readonly pauseAt: number;
  readonly members: BudgetMember[];
  over: boolean;
  /** While over: the connections resumed so far, each of which may still bring one read. */
  readonly awake: Set<EchoSocket>;
}

export function createMemoryBudget(limit: number): MemoryBudget | null {
  if (limit <= 0) return null;
  const pauseAt = Math.max(0, limit - Math.max(MAX_READ, limit / 4));
  return { limit, pauseAt, members: [], over: false, awake: new Set() };
}

/** Bytes held now across the listeners (queued, in fault stages, partial frames). */
export function queuedBytes(budget: MemoryBudget): number {
  let total = 0;
  for (const m of budget.members) total += m.stats.bufferedBytes;
  return total;
}

/**
 * After a connection that is not paused queued bytes: if the process is,
 * or now goes, over budget, pause it (and on going over, every connection).
 */
export function checkBudget(budget: MemoryBudget, member: BudgetMember, socket: EchoSocket): void {
  if (!budget.over) {
    if (queuedBytes(budget) <= budget.pauseAt) return;
    budget.over = true;
    for (const m of budget.members) {
      m.overBudget = true;
      for (const s of m.sockets) {
        if (!s.data.paused && !s.data.lingering) pause(m, s);
      }
    }
    return;
  }
  budget.awake.delete(socket);
  if (!socket.data.paused) pause(member, socket);
}

/** A connection closed while over budget: it brings no more reads. */
export function forgetSocket(budget: MemoryBudget, socket: EchoSocket): void {
  budget.awake.delete(socket);
  settleBudget(budget);
}

/**
 * Once bytes left (a flush, a close, the sweep): below half the budget,
 * resume paused connections that their own queue does not hold back, as
 * many as the room left allows one read each (counting those awake
 * already); resumed ones go to the back of the line. When none is left
 * paused, the process is under budget again.
 */
export function settleBudget(budget: MemoryBudget): void {
  if (!budget.over) return;
  const queued = queuedBytes(budget);
  if (queued >= budget.limit / 2) return;
  let room = Math.floor((budget.limit - queued) / MAX_READ) - budget.awake.size;
  let waiting = false;
  for (const m of budget.members) {
    if (m.draining) continue;
    const woken: EchoSocket[] = [];
    for (const s of m.sockets) {
      const c = s.data;
      if (!c.paused || c.ended) continue;
      if (room <= 0 || c.queued + pendingBytes(c) > m.lowWater) {
        // No room, or still draining its own queue: stay over budget until it is resumed here.
        waiting = true;
        if (room <= 0) break;
        continue;
      }
      room--;
      c.paused = false;
      s.resume();
      budget.awake.add(s);
      woken.push(s);
    }
    for (const s of woken) {
      m.sockets.delete(s);
      m.sockets.add(s);
    }
  }
  if (waiting) return;
  budget.over = false;
  budget.awake.clear();
  for (const m of budget.members) m.overBudget = false;
}

function pause(member: BudgetMember, socket: EchoSocket): void {
  socket.data.paused = true;
  member.stats.memoryPauses++;
  socket.pause();
}
