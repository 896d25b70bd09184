/**
 * The messages between the primary and its worker processes (Bun IPC,
 * JSON serialization). Counters travel as ListenerStats snapshots.
 */
import type { FaultScope, ShutdownSummary } from "../echo/server.ts";
import type { ListenerStats } from "../echo/stats.ts";
import type { DaemonResources } from "../metrics/resources.ts";
import type { FaultSettings } from "../options/fault-settings.ts";

/** A control API change, as the primary sends it to every worker (workers/control.ts). */
export type ControlOp =
  | {
      readonly kind: "faults";
      readonly changes: Readonly<Record<string, FaultSettings>>;
      readonly scope: FaultScope;
    }
  | { readonly kind: "accepting"; readonly name: string; readonly accepting: boolean };

/** The control API's state, for a worker that starts after changes were made. */
export interface ControlState {
  readonly faults: Readonly<Record<string, FaultSettings>>;
  readonly down: readonly string[];
}

export type ToWorker =
  | { readonly t: "stats"; readonly seq: number }
  | { readonly t: "control"; readonly seq: number; readonly op: ControlOp }
  | { readonly t: "reload-tls"; readonly seq: number }
  | { readonly t: "stop" };

/** The ports a worker bound, so that port 0 resolves once for all workers. */
export interface WorkerPorts {
  readonly tcp: number;
  readonly tls: number | null;
  readonly udp: number | null;
  /** Each --profile's port, by name. */
  readonly profiles?: Readonly<Record<string, number>>;
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
  /** The answer to control: null once applied, else why not. */
  | { readonly t: "controlled"; readonly seq: number; readonly error: string | null }
  | { readonly t: "stopped"; readonly summary: ShutdownSummary };
