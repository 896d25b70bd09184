/**
 * What main.ts runs: echo in this process, or in worker processes under a
 * supervisor. Both look the same to the admin server and to shutdown.
 */
import type { Config } from "./config.ts";
import { startListeners } from "./echo/listeners.ts";
import type { EchoServer, ShutdownSummary } from "./echo/server.ts";
import { addStats, createStats, type EchoStats, type ListenerStats } from "./echo/stats.ts";
import type { Logger } from "./log.ts";
import { type DaemonResources, ownResources } from "./metrics.ts";

export interface EchoRuntime {
  readonly port: number;
  /** True while every echo listener accepts connections. */
  ready(): boolean;
  /** True, or why echod cannot recover by itself and wants restarting (drives /livez). */
  live(): true | string;
  stats(): EchoStats;
  /** Each listener's own counters (summed over workers). */
  listenerStats(): ListenerStats;
  /** Where each listener listens, by kind, for the startup line. */
  listeners(): Record<string, string>;
  /** Re-reads the TLS files (SIGHUP); absent without a TLS listener. Rejects naming a bad file. */
  reloadTls?(): Promise<void>;
  resources(): DaemonResources;
  workers(): { running: number; restarts: number; restartFailures: number };
  /** Worker process ids (empty when echo runs in this process). */
  pids(): (number | null)[];
  refresh?(): Promise<void>;
  /** Kills worker processes at once, before the process exits on a second signal. */
  abort?(): void;
  stop(): Promise<ShutdownSummary>;
}

export async function startRuntime(config: Config, log: Logger): Promise<EchoRuntime> {
  if (config.workers > 1) {
    const { startWorkers } = await import("./workers/supervisor.ts");
    const { reloadTls, ...workers } = await startWorkers(config, log);
    return {
      ...workers,
      listeners: () => workers.addresses,
      ...(config.tlsPort !== null ? { reloadTls } : {}),
    };
  }
  const echo = await startListeners(config, { log });
  const tcp = echo.servers[0] as EchoServer;
  const listeners: Record<string, string> = {};
  for (const server of echo.servers) listeners[server.kind] = server.address;
  if (echo.udp !== null) listeners.udp = echo.udp.address;
  return {
    port: tcp.port,
    ready: () => echo.servers.every((s) => s.listening),
    // One process: if it can answer /livez at all, it is live.
    live: () => true,
    // All stream listeners together; they share one connection limit, so that is not summed.
    stats: () => {
      if (echo.servers.length === 1) return tcp.stats;
      const total = echo.servers.reduce((sum, s) => addStats(sum, s.stats), createStats());
      total.maxConnections = tcp.stats.maxConnections;
      return total;
    },
    listenerStats: () => {
      const stream: ListenerStats["stream"] = {};
      for (const server of echo.servers) stream[server.kind] = server.stats;
      return { stream, udp: echo.udp?.stats ?? null };
    },
    listeners: () => listeners,
    ...(echo.server("tls") ? { reloadTls: async () => echo.reloadTls() } : {}),
    resources: ownResources,
    workers: () => ({ running: 1, restarts: 0, restartFailures: 0 }),
    pids: () => [],
    stop: () => echo.stop(),
  };
}
