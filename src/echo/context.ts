/**
 * The state one listener's handlers share: the limits counted across
 * listeners, and the listener's context (counters, logger, limits, the
 * admission check, the memory budget), and a context with defaults.
 */
import { createSilentLogger, type Logger } from "../log.ts";
import { createLimitedWarning, type LimitedWarning } from "../log-limit.ts";
import type { Admit } from "./admission.ts";
import type { EchoSocket } from "./connection.ts";
import type { MemoryBudget } from "./memory-budget.ts";
import type { ProxySource } from "./proxy/types.ts";
import { createStats, type EchoStats, type RejectReason } from "./stats.ts";

/** Connection counts shared by all stream listeners, so the limits hold across them. */
export interface SharedLimits {
  active: number;
  /** Open connections per peer IP address, kept only when a per-IP limit is set. */
  readonly perIp: Map<string, number>;
}

export function createSharedLimits(): SharedLimits {
  return { active: 0, perIp: new Map() };
}

/** Shared, mutable state of one listener that the handlers read. */
export interface EchoContext {
  readonly stats: EchoStats;
  readonly log: Logger;
  readonly limits: SharedLimits;
  readonly maxConnections: number;
  /** Why a connection past maxConnections is rejected: the flag, or the open-files limit. */
  readonly limitReason: RejectReason;
  /** Connections per peer IP address; 0 = no limit (and for Unix sockets). */
  readonly maxConnectionsPerIp: number;
  /** High-water mark: pause reading above this many queued bytes. */
  readonly highWater: number;
  /** Low-water mark: resume reading at or below this many queued bytes. */
  readonly lowWater: number;
  readonly debug: boolean;
  readonly logData: boolean;
  /** Coarse clock (ms), advanced by the idle sweep; cheaper than a clock call per chunk. */
  now: number;
  /** True once shutdown began: no new connections, no more reading. */
  draining: boolean;
  /** The process's --max-memory budget, shared by its listeners; null when there is none. */
  readonly memory: MemoryBudget | null;
  /** True while the process is over its memory budget: paused connections stay paused. */
  overBudget: boolean;
  readonly sockets: Set<EchoSocket>;
  /** The rejection warning, at most a line a second (log-limit.ts), so a flood cannot flood the log. */
  readonly rejections: LimitedWarning;
  /** --allow, --deny and --accept-rate (admission.ts); null when none is set. */
  readonly admit: Admit | null;
  /** The client a PROXY header named, set by proxy/stage.ts around the open it makes. */
  proxied: ProxySource | null;
}

/**
 * A context for at most `maxConnections` connections: fresh counters and
 * limits, a silent logger, 1 MiB / 512 KiB water marks, no per-IP limit, no
 * budget, no admission check; then `overrides` (server.ts sets each
 * listener's own; unit tests and studies take the rest as they are).
 */
export function createEchoContext(
  maxConnections: number,
  overrides: Partial<EchoContext> = {},
): EchoContext {
  return {
    stats: createStats(maxConnections),
    log: overrides.log ?? createSilentLogger(),
    limits: createSharedLimits(),
    maxConnections,
    limitReason: "max_connections",
    maxConnectionsPerIp: 0,
    highWater: 1024 * 1024,
    lowWater: 512 * 1024,
    debug: false,
    logData: false,
    now: 0,
    draining: false,
    memory: null,
    overBudget: false,
    sockets: new Set(),
    rejections: rejectionWarning(overrides.log ?? createSilentLogger()),
    admit: null,
    proxied: null,
    ...overrides,
  };
}

/** The warning of a listener's rejected connections: `rejected` counts them, with the latest reason. */
export function rejectionWarning(log: Logger): LimitedWarning {
  return createLimitedWarning(log, "connections rejected", "rejected");
}
