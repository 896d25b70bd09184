/**
 * The runtime of single-process echod: every listener in this process, no
 * workers. If it can answer /livez at all, it is live.
 */
import type { Config } from "../config.ts";
import { startListeners } from "../echo/listeners.ts";
import { combineStreams } from "../echo/stats.ts";
import type { Logger } from "../log.ts";
import { ownResources } from "../metrics/resources.ts";
import { serviceAddresses, serviceListenerStats } from "./service.ts";
import type { Runtime } from "./types.ts";

export async function startLocalRuntime(config: Config, log: Logger): Promise<Runtime> {
  const echo = await startListeners(config, { log });
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
    refresh: () => Promise.resolve(),
    abort: () => {},
    stop: () => echo.stop(),
  };
}
