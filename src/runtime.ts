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
  stats(): EchoStats;
  /** Each listener's own counters (summed over workers). */
  listenerStats(): ListenerStats;
  /** Where each listener listens, by kind, for the startup line. */
  listeners(): Record<string, string>;
  /** Re-reads the TLS files (SIGHUP); absent without a TLS listener. Throws naming a bad file. */
  reloadTls?(): void;
  resources(): DaemonResources;
  workers(): { running: number; restarts: number };
  /** Worker process ids (empty when echo runs in this process). */
  pids(): (number | null)[];
  refresh?(): Promise<void>;
  stop(): Promise<ShutdownSummary>;
}

export async function startRuntime(config: Config, log: Logger): Promise<EchoRuntime> {
  if (config.workers > 1) {
    const { startWorkers } = await import("./workers/supervisor.ts");
    const workers = await startWorkers(config, log);
    return {
      ...workers,
      listeners: () => workers.addresses,
      ...(config.tlsPort !== null ? { reloadTls: workers.reloadTls } : {}),
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
    ...(echo.server("tls") ? { reloadTls: () => echo.reloadTls() } : {}),
    resources: ownResources,
    workers: () => ({ running: 1, restarts: 0 }),
    pids: () => [],
    stop: () => echo.stop(),
  };
}
