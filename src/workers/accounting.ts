/**
 * What a dead worker leaves in the primary's books. Its last snapshot
 * balances (`accepted = active + sum(closed)`, `received = sent + discarded
 * + buffered`); when the process dies, its open connections die with it and
 * its queued bytes are never sent, so they are booked as closed
 * (`worker_died`) and discarded. The sums then balance at every scrape, and
 * no counter goes backwards.
 */
import type { ShutdownSummary } from "../echo/server.ts";
import { sumSummaries } from "../echo/shutdown.ts";
import type { EchoStats, ListenerStats } from "../echo/stats.ts";

/** The counters a dead worker's last snapshot leaves behind, with its gauges settled. */
export function bookDeadWorker(last: ListenerStats): ListenerStats {
  const stream: Record<string, EchoStats> = {};
  for (const [name, stats] of Object.entries(last.stream)) {
    stream[name] = {
      ...stats,
      closed: { ...stats.closed, worker_died: stats.closed.worker_died + stats.active },
      discardedBytes: stats.discardedBytes + stats.bufferedBytes,
      active: 0,
      bufferedBytes: 0,
      // A limit belongs to a running process; its successor brings its own.
      maxConnections: 0,
    };
  }
  return { stream, udp: last.udp };
}

/** The daemon's shutdown summary: the workers' own, plus the bytes of workers that died before. */
export function addSummaries(
  before: EchoStats,
  summaries: readonly ShutdownSummary[],
): ShutdownSummary {
  const { receivedBytes, sentBytes, discardedBytes } = before;
  // The dead workers' bytes count as one more summary, one with no connections of its own.
  return sumSummaries([
    { drained: 0, cut: 0, receivedBytes, sentBytes, discardedBytes },
    ...summaries,
  ]);
}
