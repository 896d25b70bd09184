/**
 * The messages between the primary and its worker processes (Bun IPC,
 * JSON serialization). Counters travel as ListenerStats snapshots.
 */
import type { ShutdownSummary } from "../echo/server.ts";
import type { ListenerStats } from "../echo/stats.ts";
import type { DaemonResources } from "../metrics/resources.ts";

export type ToWorker =
  | { readonly t: "stats"; readonly seq: number }
  | { readonly t: "reload-tls"; readonly seq: number }
  | { readonly t: "stop" };

/** The ports a worker bound, so that port 0 resolves once for all workers. */
export interface WorkerPorts {
  readonly tcp: number;
  readonly tls: number | null;
  readonly udp: number | null;
}

export type FromWorker =
  | {
      readonly t: "listening";
      readonly ports: WorkerPorts;
      readonly addresses: Record<string, string>;
    }
  | { readonly t: "failed"; readonly message: string; readonly exitCode: number }
  | {
      readonly t: "stats";
      readonly seq: number;
      readonly listeners: ListenerStats;
      readonly resources: DaemonResources;
      /** Uncaught errors in the worker so far (process-guard.ts). */
      readonly internalErrors: number;
    }
  /** Sent every HEARTBEAT_MS: the worker's event loop runs, and its counters as of now. */
  | {
      readonly t: "beat";
      readonly listeners: ListenerStats;
      readonly resources: DaemonResources;
      readonly internalErrors: number;
    }
  /** The answer to reload-tls: null when the new certificate is in use, else why not. */
  | { readonly t: "reloaded"; readonly seq: number; readonly error: string | null }
  | { readonly t: "stopped"; readonly summary: ShutdownSummary };
