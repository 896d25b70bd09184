/**
 * A server's own CPU time and memory, read from /proc as the kernel counts
 * them (Linux only): utime + stime of /proc/PID/stat in clock ticks, and
 * VmRSS / VmHWM (peak) of /proc/PID/status, open descriptors of /proc/PID/fd.
 * cpuSeconds and memory return null where /proc is missing; the bench
 * scripts and the tests (test/hostile/tools.ts) all read /proc through here.
 */
import { readdirSync, readFileSync } from "node:fs";

/** Clock ticks per second (USER_HZ): 100 on every Linux architecture that Bun runs on. */
const TICKS_PER_SECOND = 100;

/** User + system CPU seconds the process has used so far, or null. */
export function cpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces and parentheses: count fields after the last ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // Fields 14 and 15 of the whole line are the 12th and 13th after the name.
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    if (!Number.isFinite(utime) || !Number.isFinite(stime)) return null;
    return (utime + stime) / TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

export interface Memory {
  readonly rssBytes: number;
  readonly peakRssBytes: number;
}

export function memory(pid: number): Memory | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (key: string) =>
      Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)?.[1]) * 1024;
    const rssBytes = kb("VmRSS");
    const peakRssBytes = kb("VmHWM");
    return Number.isFinite(rssBytes) && Number.isFinite(peakRssBytes)
      ? { rssBytes, peakRssBytes }
      : null;
  } catch {
    return null;
  }
}

/** Resident set size in bytes, from VmRSS of /proc/PID/status; throws when the process is gone. */
export function rssBytes(pid: number): number {
  const kib = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
  if (kib === undefined) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(kib) * 1024;
}

/** Open file descriptors of a process, counted in /proc/PID/fd. */
export function openFds(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}
