/**
 * Helpers for the tests of the worker supervisor: start a `--workers 2`
 * echod that is killed after each test with every worker it ever had, find
 * the pid now in a worker slot, and poll until something holds.
 */
import { readFileSync } from "node:fs";
import { type Echod, LOOPBACK_WITH_ADMIN, spawnKilledAfterEach } from "../helpers/spawn-echod.ts";

export type Supervised = Echod & { readonly admin: number };

/** Starts `--workers 2` echods (with `args`) that are killed after each test, workers included. */
export function supervisedEchods(): (args: string[]) => Promise<Supervised> {
  const spawnEchod = spawnKilledAfterEach(everyWorkerPid);
  return async (args) => {
    const echod = await spawnEchod([...LOOPBACK_WITH_ADMIN, "--workers", "2", ...args]);
    return Object.assign(echod, { admin: echod.metricsPort ?? 0 });
  };
}

export function startLine(e: Echod): { workers: number[]; listeners: Record<string, string> } {
  return e.lines.find((l) => l.msg === "echod listening") as never;
}

/** The pid now in worker slot `id`: from its last restart line, else from the startup line. */
export function workerPid(e: Echod, id: number): number {
  const restarted = e.lines.filter((l) => l.msg === "worker restarted" && l.worker === id).pop();
  return Number(restarted?.workerPid ?? startLine(e).workers[id]);
}

function everyWorkerPid(e: Echod): number[] {
  const restarted = e.lines.filter((l) => l.msg === "worker restarted").map((l) => l.workerPid);
  return [...(startLine(e)?.workers ?? []), ...restarted.map(Number)];
}

/** Running (a zombie is dead: an orphan's zombie waits for a PID 1 that may never reap it). */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.charAt(stat.lastIndexOf(")") + 2) !== "Z";
  } catch {
    return false;
  }
}

export async function get(port: number, path: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: response.status, body: await response.text() };
}

/** Polls `check` every 50 ms until it holds or `ms` pass; returns the ms it took, or null. */
export async function within(
  ms: number,
  check: () => Promise<boolean> | boolean,
): Promise<number | null> {
  const started = performance.now();
  while (performance.now() - started < ms) {
    if (await check()) return Math.round(performance.now() - started);
    await Bun.sleep(50);
  }
  return null;
}
