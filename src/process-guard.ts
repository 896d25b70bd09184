/**
 * What echod does with an exception that nothing caught: log it with its
 * stack, count it (echod_internal_errors_total), and keep running. Without a
 * handler, Bun 1.4.5 ends the process with exit 1 when a socket handler
 * throws after the entry module has finished (docs/bun-notes.md), so one bad
 * datagram would take every listener and every client down with it. Each
 * such exception is a bug to fix at its cause; the guard only keeps the
 * blast radius at the one callback that threw.
 *
 * Lines are rate-limited (log-limit.ts): at most one a second, and a burst
 * ends with one line that gives the count of those it stood for, so a
 * flood cannot flood the log.
 */
import type { Logger } from "./log.ts";
import { createLimitedWarning } from "./log-limit.ts";

export const LOG_INTERVAL_MS = 1000;

export type ErrorKind = "uncaughtException" | "unhandledRejection";

export interface ProcessGuard {
  /** Logs (rate-limited) and counts one error. Never throws. */
  report(kind: ErrorKind, error: unknown): void;
  /** Errors reported so far. */
  count(): number;
}

export function createProcessGuard(
  log: Logger,
  now: () => number = () => performance.now(),
): ProcessGuard {
  let count = 0;
  // The log call too runs inside `safely`: a throw from here would end the process.
  const safeLog = {
    error: (fields: Record<string, unknown>, msg: string) => safely(() => log.error(fields, msg)),
  } as unknown as Logger;
  const line = createLimitedWarning(safeLog, "internal error; echod keeps running", "errors", {
    level: "error",
    intervalMs: LOG_INTERVAL_MS,
    now,
  });
  return {
    report(kind, error) {
      count++;
      safely(() => line({ kind, error: describe(error), stack: stackOf(error) }));
    },
    count: () => count,
  };
}

let installed: ProcessGuard | null = null;

/**
 * Installs the guard for this process (once; later calls return the first
 * guard). main.ts and the worker entry call it as soon as they have a logger.
 */
export function installProcessGuard(log: Logger): ProcessGuard {
  if (installed !== null) return installed;
  const guard = createProcessGuard(log);
  installed = guard;
  process.on("uncaughtException", (error) => guard.report("uncaughtException", error));
  process.on("unhandledRejection", (reason) => guard.report("unhandledRejection", reason));
  return guard;
}

/** Uncaught exceptions and unhandled rejections in this process so far (0 without a guard). */
export function internalErrors(): number {
  return installed?.count() ?? 0;
}

/** A one-line description of any thrown value; never throws (a value's toString may). */
export function describe(error: unknown): string {
  try {
    if (error instanceof Error) return `${error.name}: ${error.message}`;
    if (typeof error === "string") return error;
    return `non-error value thrown: ${String(error)}`;
  } catch {
    return "non-error value thrown (not printable)";
  }
}

function stackOf(error: unknown): string | undefined {
  try {
    return error instanceof Error ? error.stack : undefined;
  } catch {
    return undefined;
  }
}

/** The guard must never throw: a throw from an uncaughtException handler ends the process. */
function safely(action: () => void): void {
  try {
    action();
  } catch (failure) {
    try {
      process.stderr.write(
        `echod: internal error while reporting an error: ${describe(failure)}\n`,
      );
    } catch {
      // Nothing left to report through.
    }
  }
}
