/**
 * The EchoContext that unit tests of the echo core hand to the lifecycle and
 * the handlers: fresh stats and limits, a silent logger, nothing draining.
 */
import { createSharedLimits, type EchoContext } from "../../src/echo/lifecycle.ts";
import { createStats } from "../../src/echo/stats.ts";
import { createSilentLogger } from "../../src/log.ts";

/** A context for at most `maxConnections` connections (stats sized for them), then `overrides`. */
export function createTestContext(
  maxConnections: number,
  overrides: Partial<EchoContext> = {},
): EchoContext {
  return {
    stats: createStats(maxConnections),
    log: createSilentLogger(),
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
    rejectedSinceLog: 0,
    lastRejectLog: Number.NEGATIVE_INFINITY,
    lastRejectReason: "max_connections",
    admit: null,
    proxied: null,
    ...overrides,
  };
}
