/**
 * How the primary judges its workers: heartbeats, hung workers, restart
 * backoff and the bound on failed restarts. Pure constants and functions;
 * supervisor.ts applies them.
 */

/** A worker sends a heartbeat (with its counters) this often. */
export const HEARTBEAT_MS = 1000;
/**
 * A worker silent this long counts as not running: `echod_workers` leaves it
 * out, `/readyz` answers 503 and scrapes stop waiting for it.
 */
export const SILENT_AFTER_MS = 3000;
/**
 * A worker silent this long (or not listening this long after its start) is
 * killed with SIGKILL and restarted like one that died: the kernel keeps
 * routing new connections to a hung worker's listening socket.
 */
export const HUNG_KILL_AFTER_MS = 10_000;
/** After this many restarts of one worker failed in a row, `/livez` answers 503 (retries go on). */
export const MAX_FAILED_RESTARTS = 5;

const BACKOFF_MIN_MS = 100;
const BACKOFF_MAX_MS = 5000;
/** A worker that lived this long is healthy: its successor starts at the minimum backoff again. */
export const HEALTHY_AFTER_MS = 10_000;

/** The wait before restart number `failures` (1 = the first after a death): doubling, capped. */
export function restartDelay(failures: number): number {
  return Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** Math.max(0, failures - 1));
}

export type WorkerHealth = "starting" | "healthy" | "silent" | "hung";

/** What a worker's last sign of life says about it at `now` (all times from performance.now()). */
export function judge(
  listening: boolean,
  startedAt: number,
  lastBeat: number,
  now: number,
): WorkerHealth {
  if (!listening) return now - startedAt > HUNG_KILL_AFTER_MS ? "hung" : "starting";
  const silence = now - lastBeat;
  if (silence > HUNG_KILL_AFTER_MS) return "hung";
  return silence > SILENT_AFTER_MS ? "silent" : "healthy";
}
