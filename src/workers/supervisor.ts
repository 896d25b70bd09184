/**
 * The primary of a multi-worker echod: starts `--workers` echo processes,
 * restarts a worker that dies with exponential backoff, sums their counters
 * for /metrics, and drains them all on stop. Workers are processes, not
 * threads: see README.
 *
 * TCP and TLS listen in every worker on shared ports (SO_REUSEPORT; the
 * kernel spreads connections). A Unix socket path and a UDP port cannot be
 * shared that way, so worker 0 alone serves those.
 */
import { resolve } from "node:path";
import type { Subprocess } from "bun";
import type { Config } from "../config.ts";
import type { ShutdownSummary } from "../echo/server.ts";
import {
  addListenerStats,
  combineStreams,
  type EchoStats,
  type ListenerStats,
  STREAM_KINDS,
} from "../echo/stats.ts";
import { EchodError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { type DaemonResources, ownResources } from "../metrics.ts";
import type { FromWorker, ToWorker, WorkerPorts } from "./protocol.ts";

const WORKER_ENTRY = resolve(import.meta.dir, "worker.ts");
/** How long a scrape waits for workers' counters before using the last ones. */
const STATS_TIMEOUT_MS = 500;
const BACKOFF_MIN_MS = 100;
const BACKOFF_MAX_MS = 5000;
/** A worker that lived this long is healthy: its successor starts at the minimum backoff again. */
const HEALTHY_AFTER_MS = 10_000;

export interface Workers {
  readonly port: number;
  /** Where each listener listens, by kind. */
  readonly addresses: Record<string, string>;
  ready(): boolean;
  stats(): EchoStats;
  listenerStats(): ListenerStats;
  resources(): DaemonResources;
  workers(): { running: number; restarts: number };
  pids(): (number | null)[];
  reloadTls(): void;
  refresh(): Promise<void>;
  stop(): Promise<ShutdownSummary>;
}

interface Slot {
  readonly id: number;
  proc: Subprocess | null;
  listening: boolean;
  startedAt: number;
  failures: number;
  listeners: ListenerStats;
  resources: DaemonResources;
  summary: ShutdownSummary | null;
}

const EMPTY: ListenerStats = { stream: {}, udp: null };
const NO_RESOURCES: DaemonResources = { cpuSeconds: 0, residentBytes: 0 };

/** Splits a daemon-wide limit over the workers, the remainder to the first ones. */
export function connectionShare(maxConnections: number, workers: number, id: number): number {
  return Math.floor(maxConnections / workers) + (id < maxConnections % workers ? 1 : 0);
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
    unix: id === 0 ? config.unix : null,
    udpPort: id === 0 ? (ports?.udp ?? config.udpPort) : null,
  };
}

export async function startWorkers(config: Config, log: Logger): Promise<Workers> {
  const slots: Slot[] = Array.from({ length: config.workers }, (_, id) => ({
    id,
    proc: null,
    listening: false,
    startedAt: 0,
    failures: 0,
    listeners: EMPTY,
    resources: NO_RESOURCES,
    summary: null,
  }));
  // Counters of workers that died, so that the sums never go backwards.
  let retired: ListenerStats = EMPTY;
  let retiredCpu = 0;
  let restarts = 0;
  let stopping = false;
  let ports: WorkerPorts | null = null;
  const addresses: Record<string, string> = {};
  let seq = 0;
  /** Scrapes waiting for counters: request number -> workers yet to answer. */
  const waiting = new Map<number, { pending: Set<number>; done: () => void }>();

  const onMessage = (slot: Slot, message: FromWorker, started: (error?: Error) => void) => {
    if (message.t === "listening") {
      slot.listening = true;
      if (slot.id === 0) {
        ports = message.ports;
        Object.assign(addresses, message.addresses);
      }
      started();
    } else if (message.t === "failed") {
      started(new EchodError("E_LISTEN", message.message, message.exitCode));
    } else if (message.t === "stats") {
      slot.listeners = message.listeners;
      slot.resources = message.resources;
      const wait = waiting.get(message.seq);
      wait?.pending.delete(slot.id);
      if (wait?.pending.size === 0) wait.done();
    } else if (message.t === "stopped") {
      slot.summary = message.summary;
    }
  };

  const spawn = (slot: Slot): Promise<void> =>
    new Promise((resolveStart, rejectStart) => {
      let settled = false;
      const started = (error?: Error) => {
        if (settled) return;
        settled = true;
        if (error) rejectStart(error);
        else resolveStart();
      };
      slot.listening = false;
      slot.startedAt = performance.now();
      slot.listeners = EMPTY;
      slot.resources = NO_RESOURCES;
      const args = [JSON.stringify(workerConfig(config, slot.id, ports)), String(slot.id)];
      slot.proc = Bun.spawn([process.execPath, WORKER_ENTRY, ...args], {
        stdin: "ignore",
        stdout: "inherit",
        stderr: "inherit",
        serialization: "json",
        ipc: (message: FromWorker) => onMessage(slot, message, started),
        onExit: (_proc, exitCode, signalCode) => {
          const wasListening = slot.listening;
          slot.listening = false;
          slot.proc = null;
          retire(slot);
          if (!wasListening) {
            started(
              new EchodError(
                "E_LISTEN",
                `worker ${slot.id} exited before listening (code ${exitCode})`,
                1,
              ),
            );
            return;
          }
          if (stopping) return;
          restarts++;
          const lived = performance.now() - slot.startedAt;
          slot.failures = lived > HEALTHY_AFTER_MS ? 1 : slot.failures + 1;
          const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** (slot.failures - 1));
          log.warn(
            { worker: slot.id, exitCode, signal: signalCode, restarts, restartInMs: delay },
            "worker died; restarting",
          );
          setTimeout(() => {
            if (stopping) return;
            spawn(slot).catch((error: Error) =>
              log.error({ worker: slot.id, err: error.message }, "worker restart failed"),
            );
          }, delay);
        },
      });
    });

  /** Folds a dead worker's counters into `retired`; its gauges die with it. */
  const retire = (slot: Slot) => {
    const stream: ListenerStats["stream"] = {};
    for (const kind of STREAM_KINDS) {
      const stats = slot.listeners.stream[kind];
      if (stats) stream[kind] = { ...stats, active: 0, bufferedBytes: 0, maxConnections: 0 };
    }
    retired = addListenerStats(retired, { stream, udp: slot.listeners.udp });
    retiredCpu += slot.resources.cpuSeconds;
    slot.listeners = EMPTY;
    slot.resources = NO_RESOURCES;
  };

  const listenerStats = () =>
    slots.reduce(
      (total, s) => addListenerStats(total, s.listeners),
      addListenerStats(EMPTY, retired),
    );

  const stopAll = async (): Promise<ShutdownSummary> => {
    stopping = true;
    // What workers that died earlier had done; the running ones report in their summaries.
    const before = combineStreams(retired);
    const running = slots.filter((s) => s.proc !== null);
    for (const slot of running) slot.proc?.send({ t: "stop" } satisfies ToWorker);
    const deadline = (config.shutdownTimeout + 5) * 1000;
    await Promise.race([Promise.all(running.map((s) => s.proc?.exited)), Bun.sleep(deadline)]);
    for (const slot of slots) slot.proc?.kill("SIGKILL");
    // IPC messages can arrive after the exit is reported: give the last summaries a moment.
    for (let i = 0; i < 50 && running.some((s) => s.summary === null); i++) await Bun.sleep(10);
    const summaries = running.map((s) => s.summary).filter((s): s is ShutdownSummary => s !== null);
    return {
      drained: sum(summaries, "drained"),
      cut: sum(summaries, "cut"),
      receivedBytes: before.receivedBytes + sum(summaries, "receivedBytes"),
      sentBytes: before.sentBytes + sum(summaries, "sentBytes"),
      discardedBytes: before.discardedBytes + sum(summaries, "discardedBytes"),
    };
  };

  try {
    // The first worker binds (possibly port 0); the others join the ports it got.
    await spawn(slots[0] as Slot);
    await Promise.all(slots.slice(1).map(spawn));
  } catch (error) {
    await stopAll();
    throw error;
  }

  return {
    port: (ports as WorkerPorts | null)?.tcp ?? config.port,
    addresses,
    ready: () => !stopping && slots.every((s) => s.listening),
    stats: () => combineStreams(listenerStats()),
    listenerStats,
    resources: () => {
      const own = ownResources();
      return slots.reduce(
        (r, s) => ({
          cpuSeconds: r.cpuSeconds + s.resources.cpuSeconds,
          residentBytes: r.residentBytes + s.resources.residentBytes,
        }),
        { cpuSeconds: own.cpuSeconds + retiredCpu, residentBytes: own.residentBytes },
      );
    },
    workers: () => ({ running: slots.filter((s) => s.listening).length, restarts }),
    pids: () => slots.map((s) => s.proc?.pid ?? null),
    reloadTls: () => {
      for (const slot of slots) slot.proc?.send({ t: "reload-tls" } satisfies ToWorker);
    },
    refresh: async () => {
      const id = ++seq;
      const live = slots.filter((s) => s.listening && s.proc !== null);
      const answered = new Promise<void>((done) => {
        waiting.set(id, { pending: new Set(live.map((s) => s.id)), done });
        if (live.length === 0) done();
      });
      for (const slot of live) slot.proc?.send({ t: "stats", seq: id } satisfies ToWorker);
      await Promise.race([answered, Bun.sleep(STATS_TIMEOUT_MS)]);
      waiting.delete(id);
    },
    stop: stopAll,
  };
}

function sum(summaries: ShutdownSummary[], key: keyof ShutdownSummary): number {
  return summaries.reduce((n, s) => n + s[key], 0);
}
