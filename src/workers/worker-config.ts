/**
 * The configuration one worker process runs with: its share of the
 * daemon-wide limits, the ports worker 0 bound, and the listeners that only
 * worker 0 can hold (a Unix socket path and a UDP port cannot be shared).
 */
import type { Config } from "../config.ts";
import { resolveMemoryBudget } from "../echo/memory-limit.ts";
import type { AcceptRate } from "../options/admission.ts";
import type { ControlState, WorkerPorts } from "./protocol.ts";

/** Splits a daemon-wide limit over the workers, the remainder to the first ones. */
export function connectionShare(maxConnections: number, workers: number, id: number): number {
  return Math.floor(maxConnections / workers) + (id < maxConnections % workers ? 1 : 0);
}

/**
 * Each worker's bucket refills at its share of --accept-rate and holds its
 * share of the burst (rounded up, at least 1): the kernel spreads new
 * connections evenly, so together they admit about the daemon-wide rate.
 */
export function acceptRateShare(rate: AcceptRate | null, workers: number): AcceptRate | null {
  if (rate === null) return null;
  return {
    perSecond: rate.perSecond / workers,
    burst: Math.max(1, Math.ceil(rate.burst / workers)),
  };
}

/** The configuration one worker runs with: its share of the limits, the shared ports. */
export function workerConfig(config: Config, id: number, ports: WorkerPorts | null): Config {
  return {
    ...config,
    port: ports?.tcp ?? config.port,
    tlsPort: ports?.tls ?? config.tlsPort,
    maxConnections: connectionShare(config.maxConnections, config.workers, id),
    // Connections from one address spread over the workers too (the kernel hashes the
    // whole 4-tuple), so each worker allows its share, rounded up.
    maxConnectionsPerIp: Math.ceil(config.maxConnectionsPerIp / config.workers),
    acceptRate: acceptRateShare(config.acceptRate, config.workers),
    // The daemon's --max-memory budget, resolved here once (auto reads the cgroup), split evenly.
    maxMemory: Math.floor(resolveMemoryBudget(config.maxMemory) / config.workers),
    unix: id === 0 ? config.unix : null,
    udpPort: id === 0 ? (ports?.udp ?? config.udpPort) : null,
    // Workers have no control API: the token stays out of their command lines.
    controlToken: null,
    profile: config.profile.map((p) => ({ ...p, port: ports?.profiles?.[p.name] ?? p.port })),
  };
}

/** The arguments of worker.ts: its configuration, its id, the control API's state so far. */
export function workerArgs(
  config: Config,
  id: number,
  ports: WorkerPorts | null,
  control: ControlState,
): string[] {
  return [JSON.stringify(workerConfig(config, id, ports)), String(id), JSON.stringify(control)];
}
