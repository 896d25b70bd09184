/**
 * The primary of a multi-worker echod: starts `--workers` echo processes on
 * one port (SO_REUSEPORT; the kernel spreads connections), restarts a worker
 * that dies with exponential backoff, sums their counters for /metrics, and
 * drains them all on stop. Workers are processes, not threads: see README.
 */
import { resolve } from "node:path";
import type { Subprocess } from "bun";
import type { Config } from "../config.ts";
import type { ShutdownSummary } from "../echo/server.ts";
import { addStats, createStats, type EchoStats } from "../echo/stats.ts";
import { EchodError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { type DaemonResources, ownResources } from "../metrics.ts";
import type { EchoRuntime } from "../runtime.ts";
import type { FromWorker, ToWorker } from "./protocol.ts";

const WORKER_ENTRY = resolve(import.meta.dir, "worker.ts");
/** How long a scrape waits for workers' counters before using the last ones. */
const STATS_TIMEOUT_MS = 500;
const BACKOFF_MIN_MS = 100;
const BACKOFF_MAX_MS = 5000;
/** A worker that lived this long is healthy: its successor starts at the minimum backoff again. */
const HEALTHY_AFTER_MS = 10_000;

interface Slot {
  readonly id: number;
  proc: Subprocess | null;
  listening: boolean;
  port: number;
  startedAt: number;
  failures: number;
  stats: EchoStats;
  resources: DaemonResources;
  summary: ShutdownSummary | null;
  onMessage: ((message: FromWorker) => void) | null;
}

/** Splits the daemon-wide connection limit over the workers, the remainder to the first ones. */
export function connectionShare(maxConnections: number, workers: number, id: number): number {
  return Math.floor(maxConnections / workers) + (id < maxConnections % workers ? 1 : 0);
}

export async function startWorkers(
  config: Config,
  log: Logger,
): Promise<Omit<EchoRuntime, "listenerStats" | "listeners">> {
  const slots: Slot[] = Array.from({ length: config.workers }, (_, id) => ({
    id,
    proc: null,
    listening: false,
    port: 0,
    startedAt: 0,
    failures: 0,
    stats: createStats(),
    resources: { cpuSeconds: 0, residentBytes: 0 },
    summary: null,
    onMessage: null,
  }));
  // Counters of workers that died, so that the sums never go backwards.
  const retired = createStats();
  let retiredCpu = 0;
  let restarts = 0;
  let stopping = false;
  let port = config.port;
  let seq = 0;
  /** Scrapes waiting for counters: request number -> workers yet to answer. */
  const waiting = new Map<number, { pending: Set<number>; done: () => void }>();

  const spawn = (slot: Slot): Promise<void> =>
    new Promise((resolveStart, rejectStart) => {
      const workerConfig: Config = {
        ...config,
        port,
        maxConnections: connectionShare(config.maxConnections, config.workers, slot.id),
      };
      slot.listening = false;
      slot.startedAt = performance.now();
      slot.stats = createStats();
      slot.resources = { cpuSeconds: 0, residentBytes: 0 };
      slot.onMessage = (message) => {
        if (message.t === "listening") {
          slot.listening = true;
          slot.port = message.port;
          resolveStart();
        } else if (message.t === "failed") {
          rejectStart(new EchodError("E_LISTEN", message.message, message.exitCode));
        } else if (message.t === "stats") {
          slot.stats = message.stats;
          slot.resources = message.resources;
          const wait = waiting.get(message.seq);
          wait?.pending.delete(slot.id);
          if (wait?.pending.size === 0) wait.done();
        } else if (message.t === "stopped") {
          slot.summary = message.summary;
        }
      };
      slot.proc = Bun.spawn(
        [process.execPath, WORKER_ENTRY, JSON.stringify(workerConfig), String(slot.id)],
        {
          stdin: "ignore",
          stdout: "inherit",
          stderr: "inherit",
          serialization: "json",
          ipc: (message: FromWorker) => slot.onMessage?.(message),
          onExit: (_proc, exitCode, signalCode) => {
            const wasListening = slot.listening;
            slot.listening = false;
            slot.proc = null;
            retire(slot);
            if (!wasListening)
              rejectStart(
                new EchodError(
                  "E_LISTEN",
                  `worker ${slot.id} exited before listening (code ${exitCode})`,
                  1,
                ),
              );
            if (stopping || !wasListening) return;
            restarts++;
            const lived = performance.now() - slot.startedAt;
            slot.failures = lived > HEALTHY_AFTER_MS ? 0 : slot.failures + 1;
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
        },
      );
    });

  /** Folds a dead worker's counters into `retired`; its gauges die with it. */
  const retire = (slot: Slot) => {
    addStats(retired, { ...slot.stats, active: 0, bufferedBytes: 0, maxConnections: 0 });
    retiredCpu += slot.resources.cpuSeconds;
    slot.stats = createStats();
    slot.resources = { cpuSeconds: 0, residentBytes: 0 };
  };

  const stopAll = async (): Promise<ShutdownSummary> => {
    stopping = true;
    // What workers that died earlier had done; the running ones report in their summaries.
    const before = { ...retired };
    const running = slots.filter((s) => s.proc !== null);
    for (const slot of running) slot.proc?.send({ t: "stop" } satisfies ToWorker);
    const deadline = performance.now() + (config.shutdownTimeout + 5) * 1000;
    await Promise.race([
      Promise.all(running.map((s) => s.proc?.exited)),
      Bun.sleep(deadline - performance.now()),
    ]);
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
    // The first worker binds (possibly port 0); the others join the port it got.
    const first = slots[0] as Slot;
    await spawn(first);
    port = first.port;
    await Promise.all(slots.slice(1).map(spawn));
  } catch (error) {
    await stopAll();
    throw error;
  }

  return {
    port,
    ready: () => !stopping && slots.every((s) => s.listening),
    stats: () =>
      slots.reduce((total, s) => addStats(total, s.stats), addStats(createStats(), retired)),
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
