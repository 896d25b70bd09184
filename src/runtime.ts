/**
 * What main.ts runs: echo in this process, or in worker processes under a
 * supervisor. Both look the same to the admin server and to shutdown.
 */
import type { Config } from "./config.ts";
import { type ShutdownSummary, startEchoServer } from "./echo/server.ts";
import type { EchoStats } from "./echo/stats.ts";
import type { Logger } from "./log.ts";
import { type DaemonResources, ownResources } from "./metrics.ts";

export interface EchoRuntime {
  readonly port: number;
  /** True while every echo listener accepts connections. */
  ready(): boolean;
  stats(): EchoStats;
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
    return startWorkers(config, log);
  }
  const echo = startEchoServer(config, { log });
  return {
    port: echo.port,
    ready: () => echo.listening,
    stats: () => echo.stats,
    resources: ownResources,
    workers: () => ({ running: 1, restarts: 0 }),
    pids: () => [],
    stop: () => echo.stop(),
  };
}
