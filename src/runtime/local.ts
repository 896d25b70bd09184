/**
 * The runtime of single-process echod: every listener in this process, no
 * workers. If it can answer /livez at all, it is live.
 */
import type { Config, FaultSettings } from "../config.ts";
import { startListeners } from "../echo/listeners.ts";
import { combineStreams } from "../echo/stats.ts";
import type { Logger } from "../log.ts";
import { ownResources } from "../metrics/resources.ts";
import { createLocalControl } from "./control.ts";
import { serviceAddresses, serviceListenerStats } from "./service.ts";
import type { Runtime } from "./types.ts";

export async function startLocalRuntime(
  config: Config,
  log: Logger,
  faults?: Readonly<Record<string, FaultSettings>>,
): Promise<Runtime> {
  const echo = await startListeners(config, { log, ...(faults ? { faults } : {}) });
  const addresses = serviceAddresses(echo);
  const listenerStats = () => serviceListenerStats(echo);
  return {
    port: echo.server("tcp")?.port ?? config.port,
    ready: () => echo.servers.every((s) => s.listening),
    live: () => true,
    stats: () => combineStreams(listenerStats()),
    listenerStats,
    addresses: () => addresses,
    ...(echo.server("tls") ? { reloadTls: async () => echo.reloadTls() } : {}),
    resources: ownResources,
    workers: () => ({ running: 1, restarts: 0, restartFailures: 0, internalErrors: 0 }),
    pids: () => [],
    control: createLocalControl(echo),
    refresh: () => Promise.resolve(),
    abort: () => {},
    stop: () => echo.stop(),
  };
}
