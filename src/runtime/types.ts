/**
 * The one interface main.ts, the admin server and the metrics see, whether
 * echo runs in this process (local.ts) or in worker processes under a
 * supervisor (workers/supervisor.ts).
 */
import type { ShutdownSummary } from "../echo/server.ts";
import type { EchoStats, ListenerStats } from "../echo/stats.ts";
import type { DaemonResources } from "../metrics/resources.ts";
import type { RuntimeControl } from "./control.ts";

/** The daemon's worker processes, for the echod_worker* metrics. */
export interface WorkerCounts {
  /** Listening and answering heartbeats now (1 when echo runs in this process). */
  readonly running: number;
  /** Restarted after they died. */
  readonly restarts: number;
  /** Restarts whose new process exited or hung before listening. */
  readonly restartFailures: number;
  /** Uncaught errors in worker processes, those of dead workers included. */
  readonly internalErrors: number;
}

export interface Runtime {
  /** The TCP port echo listens on (resolved when port 0 was asked for). */
  readonly port: number;
  /** True while every echo listener accepts connections (drives /readyz). */
  ready(): boolean;
  /** True, or why echod cannot recover by itself and wants restarting (drives /livez). */
  live(): true | string;
  /** All stream listeners together (one connection limit, taken once), summed over workers. */
  stats(): EchoStats;
  /** Each listener's own counters (summed over workers), for metrics labelled `listener`. */
  listenerStats(): ListenerStats;
  /** Where each listener listens, by kind, for the startup line. */
  addresses(): Record<string, string>;
  /** CPU seconds and resident bytes of the whole daemon (all its processes). */
  resources(): DaemonResources;
  workers(): WorkerCounts;
  /** Worker process ids (empty when echo runs in this process). */
  pids(): (number | null)[];
  /** Re-reads the TLS files (SIGHUP); absent without a TLS listener. Rejects naming a bad file. */
  reloadTls?(): Promise<void>;
  /** Changes faults and listeners while echod runs (the control API, SIGHUP's --faults). */
  readonly control: RuntimeControl;
  /** Fetches fresh counters before a scrape (from worker processes; at once otherwise). */
  refresh(): Promise<void>;
  /** Kills worker processes at once, before the process exits on a second signal. */
  abort(): void;
  /** Drains every listener; the summary adds up all of them. */
  stop(): Promise<ShutdownSummary>;
}
