/**
 * What the primary knows about one worker position (0..N-1): the process
 * in it now, when it last gave a sign of life, how its restarts went, and
 * its latest counters. A restarted worker takes the same slot.
 */
import type { Subprocess } from "bun";
import type { Config } from "../config.ts";
import type { ShutdownSummary } from "../echo/server.ts";
import { createStats, type ListenerStats } from "../echo/stats.ts";
import { type DaemonResources, NO_RESOURCES } from "../metrics/resources.ts";
import { judge, type WorkerHealth } from "./health.ts";

export interface Slot {
  readonly id: number;
  proc: Subprocess | null;
  /** Bumped at each spawn, so that late news from an earlier process is ignored. */
  generation: number;
  listening: boolean;
  startedAt: number;
  /** When the worker last sent anything (a heartbeat at least every HEARTBEAT_MS). */
  lastBeat: number;
  /** The health last logged, so that each change is logged once. */
  reported: WorkerHealth;
  /** Deaths and failed starts in a row, for the backoff. */
  failures: number;
  /** Restarts in a row that never got to listen (MAX_FAILED_RESTARTS fails /livez). */
  failedRestarts: number;
  lastError: string;
  listeners: ListenerStats;
  resources: DaemonResources;
  summary: ShutdownSummary | null;
}

export const NO_STATS: ListenerStats = { stream: {}, udp: null };

export function createSlot(id: number): Slot {
  return {
    id,
    proc: null,
    generation: 0,
    listening: false,
    startedAt: 0,
    lastBeat: 0,
    reported: "starting",
    failures: 0,
    failedRestarts: 0,
    lastError: "",
    listeners: NO_STATS,
    resources: NO_RESOURCES,
    summary: null,
  };
}

/** Listening and heard from lately: counted in `echod_workers`, asked at scrapes, needed for /readyz. */
export function isHealthy(slot: Slot, now = performance.now()): boolean {
  return (
    slot.proc !== null && judge(slot.listening, slot.startedAt, slot.lastBeat, now) === "healthy"
  );
}

/**
 * Every stream listener the daemon serves, at zero: summed under the workers'
 * counters, its series stay in a scrape taken while no worker has reported
 * yet (one just died and its successor has not been counted).
 */
export function servedListeners(config: Config): ListenerStats {
  return {
    stream: {
      tcp: createStats(),
      ...(config.tlsPort !== null ? { tls: createStats() } : {}),
      ...(config.unix !== null ? { unix: createStats() } : {}),
      ...Object.fromEntries(config.profile.map((p) => [p.name, createStats()])),
    },
    udp: null,
  };
}
