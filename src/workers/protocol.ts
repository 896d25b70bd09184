/**
 * The messages between the primary and its worker processes (Bun IPC,
 * JSON serialization). Counters travel as EchoStats snapshots.
 */
import type { ShutdownSummary } from "../echo/server.ts";
import type { EchoStats } from "../echo/stats.ts";
import type { DaemonResources } from "../metrics.ts";

export type ToWorker = { readonly t: "stats"; readonly seq: number } | { readonly t: "stop" };

export type FromWorker =
  | { readonly t: "listening"; readonly port: number }
  | { readonly t: "failed"; readonly message: string; readonly exitCode: number }
  | {
      readonly t: "stats";
      readonly seq: number;
      readonly stats: EchoStats;
      readonly resources: DaemonResources;
    }
  | { readonly t: "stopped"; readonly summary: ShutdownSummary };
