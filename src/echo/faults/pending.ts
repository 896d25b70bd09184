/**
 * The books of a connection with framing or faults, apart from its socket
 * (so they are tested in-process): the framer's batch, and the pending queue
 * that units enter through every stage's `enter`, each with the time it is
 * due, and wait in until the pump (pipeline.ts) lets them out.
 */
import { appendCoalesced, dropBlock } from "../coalesce.ts";
import type { Connection } from "../connection.ts";
import type { EchoStats } from "../stats.ts";
import type { Framer } from "./framer.ts";
import type { FaultStage } from "./stage.ts";
import type { FaultState } from "./state.ts";

/**
 * What one pending entry costs beyond its bytes, counted against the
 * high-water mark: a peer that trickles single bytes under --delay makes
 * one entry per millisecond, and the objects must be bounded, not only the
 * bytes (see coalesce.ts).
 */
export const PENDING_ENTRY_COST = 128;

/** Bytes a connection holds against --max-buffer: queued, pending, and the pending entries' cost. */
export function held(conn: Connection, state: FaultState): number {
  return (
    conn.queued + state.pendingBytes + (state.pending.length - state.head) * PENDING_ENTRY_COST
  );
}

/**
 * Passes one unit (a chunk, or a run of `messages` whole messages) through
 * the stages' `enter` and queues what is left of it. Entries due at the same
 * time share one entry where the bytes allow (see coalesce.ts).
 */
export function admit(
  stages: readonly FaultStage[],
  conn: Connection,
  f: FaultState,
  unit: Uint8Array,
  messages: number,
  stats: EchoStats,
): void {
  f.due = 0;
  let bytes = unit;
  for (let i = 0; i < stages.length; i++) {
    const enter = (stages[i] as FaultStage).enter;
    if (enter !== undefined) bytes = enter(f.stageStates[i], bytes, messages, f, stats);
    if (bytes.length === 0) return;
  }
  const { pending, dueTimes, due } = f;
  const sameDue = pending.length > f.head && dueTimes[dueTimes.length - 1] === due;
  if (!appendCoalesced(f, pending, f.head, bytes, sameDue)) dueTimes.push(due);
  f.pendingBytes += bytes.length;
  stats.bufferedBytes += bytes.length;
  const now = conn.queued + f.pendingBytes;
  if (now > stats.peakConnectionBuffer) stats.peakConnectionBuffer = now;
}

/**
 * Runs one chunk through the connection's framer into its batch, keeping
 * the books: the partial message it holds counts as buffered. Past
 * --max-message-size it returns false and the connection is to be cut: what
 * the framer held, and the rest of the chunk, count as discarded.
 */
export function frameChunk(
  f: FaultState,
  framer: Framer,
  chunk: Uint8Array,
  stats: EchoStats,
): boolean {
  const batch = f.batch;
  const before = framer.buffered;
  const ok = framer.push(chunk, batch);
  stats.messages += batch.messages;
  if (ok) {
    stats.bufferedBytes += framer.buffered - before;
    return true;
  }
  stats.bufferedBytes -= before;
  stats.discardedBytes += chunk.length + before - batch.bytes;
  framer.end();
  f.cut ??= "message_too_large";
  return false;
}

/** At close: what the client will never get, the pending bytes and a partial frame, is discarded; the timers stop. */
export function discardPending(f: FaultState, stats: EchoStats): void {
  if (f.timer !== null) clearTimeout(f.timer);
  f.timer = null;
  if (f.clock !== null) clearTimeout(f.clock);
  f.clock = null;
  const partial = f.framer?.buffered ?? 0;
  f.framer?.end();
  stats.bufferedBytes -= f.pendingBytes + partial;
  stats.discardedBytes += f.pendingBytes + partial;
  f.pendingBytes = 0;
  f.pending.length = 0;
  dropBlock(f);
}

/** Bytes a connection holds in the fault stages (0 on the raw path). */
export function pendingBytes(conn: Connection): number {
  const f = conn.faults as FaultState | null;
  return f === null ? 0 : f.pendingBytes;
}
