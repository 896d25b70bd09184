/**
 * Keeps echod below the open-files limit. When accept() fails with EMFILE,
 * Bun 1.4.5 retries it in a busy loop (100% CPU), the admin server stops
 * answering (even on a connection it had already accepted), and
 * `process.memoryUsage.rss()` throws, so echod must never get there: it caps
 * its connection limit at the soft RLIMIT_NOFILE minus a reserve for
 * listeners, admin requests, IPC, logs and the connections it accepts only
 * to reject. (Bun raises the soft limit to the hard one at startup, so this
 * bites only when the hard limit is low, as with `ulimit -n 1024` or a
 * container's.)
 *
 * The limit can also change under a running echod (`prlimit --pid`), so each
 * listener follows it from its sweep tick: /proc/self/limits is re-read at
 * most once a second. Reading it takes a descriptor; when none is free it
 * gives back a spare one held for that, reads, and takes the spare again.
 */
import { closeSync, openSync, readFileSync } from "node:fs";
import type { Logger } from "../log.ts";
import type { RejectReason } from "./stats.ts";

export const FD_RESERVE = 64;
/** How often a running echod re-reads its open-files limit. */
export const RECHECK_MS = 1000;
const LIMITS_FILE = "/proc/self/limits";

/** The soft open-files limit of this process, or null where /proc is not there. */
export function openFilesLimit(limitsFile = LIMITS_FILE): number | null {
  const read = readLimit(limitsFile);
  return typeof read === "number" ? read : null;
}

/** The connection limit that fits under `openFiles` (at least 1). */
export function connectionLimit(configured: number, openFiles: number | null): number {
  if (openFiles === null) return configured;
  return Math.max(1, Math.min(configured, openFiles - FD_RESERVE));
}

/** The soft limit, null when there is none, or the error code when the file could not be read. */
function readLimit(limitsFile: string): number | null | { code: string } {
  let text: string;
  try {
    text = readFileSync(limitsFile, "utf8");
  } catch (error) {
    return { code: String((error as { code?: unknown } | undefined)?.code ?? "unknown") };
  }
  const line = text.split("\n").find((l) => l.startsWith("Max open files"));
  const soft = line?.slice("Max open files".length).trim().split(/\s+/)[0];
  if (soft === undefined || soft === "unlimited") return null;
  const n = Number(soft);
  return Number.isFinite(n) ? n : null;
}

export interface LimitReading {
  /** The soft limit as last read (null: none). */
  readonly limit: number | null;
  /** The last read found no descriptor free (EMFILE). */
  readonly exhausted: boolean;
  /** This call read the file (at most once per RECHECK_MS over the whole process). */
  readonly fresh: boolean;
}

/** Process-wide: the limit is the process's, and every listener reads the same reading. */
const watch = {
  spare: undefined as number | null | undefined,
  lastRead: Number.NEGATIVE_INFINITY,
  reading: { limit: null, exhausted: false, fresh: false } as LimitReading,
};

/** The open-files limit, re-read if the last read is RECHECK_MS old. */
export function watchOpenFilesLimit(now: number, limitsFile = LIMITS_FILE): LimitReading {
  if (watch.spare === undefined) watch.spare = openSpare();
  if (now - watch.lastRead < RECHECK_MS) return { ...watch.reading, fresh: false };
  watch.lastRead = now;
  let read = readLimit(limitsFile);
  const exhausted = typeof read === "object" && read !== null && read.code === "EMFILE";
  if (exhausted && watch.spare !== null) {
    closeSync(watch.spare);
    read = readLimit(limitsFile);
    watch.spare = openSpare();
  }
  const limit = typeof read === "object" && read !== null ? watch.reading.limit : read;
  watch.reading = { limit, exhausted, fresh: true };
  return watch.reading;
}

function openSpare(): number | null {
  try {
    return openSync("/dev/null", "r");
  } catch {
    return null;
  }
}

/** What a listener's limit lives in: its context and its stats (echod_max_connections). */
export interface FollowedLimit {
  maxConnections: number;
  limitReason: RejectReason;
  readonly stats: { maxConnections: number };
}

/**
 * Brings one listener's connection limit in line with the open-files limit
 * as it is now: lower when someone lowered it, back up when they raised it.
 * Logs each change, and (at most once a second) that no descriptor is free.
 */
export function followOpenFilesLimit(
  target: FollowedLimit,
  configured: number,
  log: Logger,
  listener: string,
  now: number,
): void {
  const reading = watchOpenFilesLimit(now);
  if (reading.fresh && reading.exhausted) {
    log.warn(
      { openFilesLimit: reading.limit, maxConnections: target.maxConnections },
      "no file descriptor free: new connections wait in the backlog until one is",
    );
  }
  const effective = connectionLimit(configured, reading.limit);
  if (effective === target.maxConnections) return;
  target.maxConnections = effective;
  target.stats.maxConnections = effective;
  target.limitReason = effective < configured ? "fd_limit" : "max_connections";
  log.warn(
    {
      listener,
      maxConnections: configured,
      effective,
      openFilesLimit: reading.limit,
      reserve: FD_RESERVE,
    },
    "the open-files limit changed; connection limit follows it",
  );
}

/**
 * The connection limit a listener starts with: --max-connections, lowered
 * (with a warning) to what the open-files limit leaves. The first reading
 * also takes the spare descriptor the watch reads through at EMFILE.
 */
export function initialConnectionLimit(configured: number, log: Logger): number {
  const openFiles = watchOpenFilesLimit(performance.now()).limit;
  const maxConnections = connectionLimit(configured, openFiles);
  if (maxConnections < configured) {
    log.warn(
      {
        maxConnections: configured,
        effective: maxConnections,
        openFilesLimit: openFiles,
        reserve: FD_RESERVE,
      },
      "the open-files limit lowers the connection limit (raise ulimit -n to lift it)",
    );
  }
  return maxConnections;
}
