/**
 * Keeps echod below the open-files limit. When accept() fails with EMFILE,
 * Bun 1.4.5 retries it in a busy loop (100% CPU) and the admin server can no
 * longer accept either, so echod must never get there: it caps its
 * connection limit at the soft RLIMIT_NOFILE minus a reserve for listeners,
 * admin requests, IPC, logs and the connections it accepts only to reject.
 * (Bun raises the soft limit to the hard one at startup, so this bites only
 * when the hard limit is low, as with `ulimit -n 1024` or a container's.)
 */
import { readFileSync } from "node:fs";

export const FD_RESERVE = 64;

/** The soft open-files limit of this process, or null where /proc is not there. */
export function openFilesLimit(limitsFile = "/proc/self/limits"): number | null {
  try {
    const line = readFileSync(limitsFile, "utf8")
      .split("\n")
      .find((l) => l.startsWith("Max open files"));
    const soft = line?.slice("Max open files".length).trim().split(/\s+/)[0];
    if (soft === undefined || soft === "unlimited") return null;
    const n = Number(soft);
    return Number.isFinite(n) ? n : null;
  } catch {
    return null;
  }
}

/** The connection limit that fits under `openFiles` (at least 1). */
export function connectionLimit(configured: number, openFiles: number | null): number {
  if (openFiles === null) return configured;
  return Math.max(1, Math.min(configured, openFiles - FD_RESERVE));
}
