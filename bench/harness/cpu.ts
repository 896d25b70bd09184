/**
 * How busy a harness worker's thread was over the measured window, so a run
 * can say when the harness, not the server, was the limit. CPU time is the
 * thread's own (`process.threadCpuUsage()`, getrusage per thread), so with
 * `--workers N` each Worker thread reads its own, not the process's. On
 * Linux the thread's run-queue wait (/proc/thread-self/schedstat) says how
 * long it was ready to run but had no core: a starved harness is just as
 * much the limit as a saturated one.
 */
import { readFileSync } from "node:fs";

/** A worker at or above this fraction of one core (CPU plus run-queue wait) marks the run harness-bound. */
export const HARNESS_BOUND = 0.9;

export interface ThreadClock {
  /** Microseconds of CPU (user + system) used by this thread. */
  readonly cpuUs: number;
  /** Nanoseconds this thread spent runnable, waiting for a core; null where the kernel does not say. */
  readonly waitNs: number | null;
}

export interface ThreadBusy {
  /** CPU used over the window, as a fraction of one core. */
  readonly cpu: number;
  /** Time spent runnable but not running over the window, as a fraction of it; null where unknown. */
  readonly waiting: number | null;
}

/** The run-queue wait of the calling thread, from the second field of its schedstat. */
function runQueueWaitNs(): number | null {
  try {
    const fields = readFileSync("/proc/thread-self/schedstat", "utf8").split(" ");
    const wait = Number(fields[1]);
    return Number.isFinite(wait) ? wait : null;
  } catch {
    return null;
  }
}

/** Reads the calling thread's clocks: call it from the thread to be measured. */
export function readThreadClock(): ThreadClock {
  const u = process.threadCpuUsage();
  return { cpuUs: u.user + u.system, waitNs: runQueueWaitNs() };
}

/** The calling thread's busy fractions over the `elapsedMs` since `start` was read. */
export function threadBusySince(start: ThreadClock, elapsedMs: number): ThreadBusy {
  const end = readThreadClock();
  if (elapsedMs <= 0) return { cpu: 0, waiting: start.waitNs === null ? null : 0 };
  const round3 = (v: number) => Math.round(v * 1000) / 1000;
  return {
    cpu: round3((end.cpuUs - start.cpuUs) / 1000 / elapsedMs),
    waiting:
      start.waitNs === null || end.waitNs === null
        ? null
        : round3((end.waitNs - start.waitNs) / 1e6 / elapsedMs),
  };
}

/** True when any worker was busy (running, or ready to run) for at least HARNESS_BOUND of the window. */
export function isHarnessBound(workers: readonly ThreadBusy[]): boolean {
  return workers.some((w) => w.cpu + (w.waiting ?? 0) >= HARNESS_BOUND);
}
