/**
 * The primary of a multi-worker echod: starts `--workers` echo processes,
 * restarts a worker that dies, hangs or fails to start again (backoff and
 * bounds in health.ts), sums their counters for /metrics, and drains them
 * all on stop. Workers are processes, not threads: see README.
 *
 * TCP and TLS listen in every worker on shared ports (SO_REUSEPORT; the
 * kernel spreads connections). A Unix socket path and a UDP port cannot be
 * shared that way, so worker 0 alone serves those.
 */
import { resolve } from "node:path";
import type { Config, FaultSettings } from "../config.ts";
import type { ShutdownSummary } from "../echo/server.ts";
import { addListenerStats, combineStreams, type ListenerStats } from "../echo/stats.ts";
import { EchodError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { addResources, NO_RESOURCES, ownResources } from "../metrics/resources.ts";
import type { Runtime } from "../runtime/types.ts";
import { addSummaries, bookDeadWorker } from "./accounting.ts";
import { createWorkerControl } from "./control.ts";
import { HEALTHY_AFTER_MS, MAX_FAILED_RESTARTS, restartDelay } from "./health.ts";
import { startMonitor } from "./monitor.ts";
import type { FromWorker, ToWorker, WorkerPorts } from "./protocol.ts";
import { reloadWorkers } from "./reload.ts";
import { createRequests } from "./requests.ts";
import { createSlot, isHealthy, NO_STATS, type Slot, servedListeners } from "./slot.ts";
import { workerArgs } from "./worker-config.ts";

const WORKER_ENTRY = resolve(import.meta.dir, "worker.ts");
/** How long a scrape waits for workers' counters before using the last ones. */
const STATS_TIMEOUT_MS = 500;

export async function startWorkers(
  config: Config,
  log: Logger,
  faults?: Readonly<Record<string, FaultSettings>>,
): Promise<Runtime> {
  const slots = Array.from({ length: config.workers }, (_, id) => createSlot(id));
  // Counters of workers that died, so that the sums never go backwards.
  let retired: ListenerStats = NO_STATS;
  let retiredCpu = 0;
  // Uncaught errors per worker (its latest report) and those of workers that died.
  const workerErrors = slots.map(() => 0);
  let retiredErrors = 0;
  let restarts = 0;
  let restartFailures = 0;
  let stopping = false;
  let ports: WorkerPorts | null = null;
  const addresses: Record<string, string> = {};
  const statsRequests = createRequests<null>();
  const reloadRequests = createRequests<string | null>();
  const controlRequests = createRequests<string | null>();
  const control = createWorkerControl(config, faults, slots, controlRequests);

  const onMessage = (slot: Slot, message: FromWorker, started: (error?: Error) => void) => {
    slot.lastBeat = performance.now();
    if (message.t === "listening") {
      slot.listening = true;
      if (slot.id === 0) {
        ports = message.ports;
        Object.assign(addresses, message.addresses);
      }
      // A worker that was still starting when stop began missed the stop message.
      if (stopping) slot.proc?.send({ t: "stop" } satisfies ToWorker);
      started();
    } else if (message.t === "failed") {
      started(new EchodError("E_LISTEN", message.message, message.exitCode));
    } else if (message.t === "stats" || message.t === "beat") {
      slot.listeners = message.listeners;
      slot.resources = message.resources;
      workerErrors[slot.id] = message.internalErrors;
      if (message.t === "stats") statsRequests.answer(message.seq, slot.id, null);
    } else if (message.t === "reloaded") {
      reloadRequests.answer(message.seq, slot.id, message.error);
    } else if (message.t === "controlled") {
      controlRequests.answer(message.seq, slot.id, message.error);
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
      const generation = ++slot.generation;
      slot.listening = false;
      slot.startedAt = performance.now();
      slot.lastBeat = slot.startedAt;
      slot.reported = "starting";
      slot.listeners = NO_STATS;
      slot.resources = NO_RESOURCES;
      const args = workerArgs(config, slot.id, ports, control.state());
      const proc = Bun.spawn([process.execPath, WORKER_ENTRY, ...args], {
        stdin: "ignore",
        stdout: "inherit",
        stderr: "inherit",
        serialization: "json",
        ipc: (message: FromWorker) => {
          if (generation === slot.generation) onMessage(slot, message, started);
        },
        onExit: (_proc, exitCode, signalCode) => {
          if (generation !== slot.generation) return;
          const wasListening = slot.listening;
          slot.listening = false;
          slot.proc = null;
          retire(slot);
          if (!wasListening) {
            const why = signalCode ? `signal ${signalCode}` : `code ${exitCode}`;
            started(
              new EchodError("E_LISTEN", `worker ${slot.id} exited before listening (${why})`, 1),
            );
            return;
          }
          if (stopping) return;
          restarts++;
          const lived = performance.now() - slot.startedAt;
          slot.failures = lived > HEALTHY_AFTER_MS ? 1 : slot.failures + 1;
          const delay = restartDelay(slot.failures);
          log.warn(
            { worker: slot.id, exitCode, signal: signalCode, restarts, restartInMs: delay },
            "worker died; restarting",
          );
          restartLater(slot, delay);
        },
      });
      slot.proc = proc;
    });

  /** Restarts `slot` after `delay`, and again with a longer backoff for as long as that fails. */
  const restartLater = (slot: Slot, delay: number) => {
    setTimeout(async () => {
      if (stopping) return;
      try {
        await spawn(slot);
        log.info(
          { worker: slot.id, workerPid: slot.proc?.pid, failedRestarts: slot.failedRestarts },
          "worker restarted",
        );
        slot.failedRestarts = 0;
      } catch (error) {
        if (stopping) return;
        restartFailures++;
        slot.failedRestarts++;
        slot.failures++;
        slot.lastError = (error as Error).message;
        const next = restartDelay(slot.failures);
        // From MAX_FAILED_RESTARTS on, /livez answers 503 (see live()); retries go on.
        const { failedRestarts, lastError: err } = slot;
        log.error(
          { worker: slot.id, err, failedRestarts, restartInMs: next },
          "worker restart failed",
        );
        restartLater(slot, next);
      }
    }, delay);
  };

  const stopMonitor = startMonitor(slots, log);

  /** Folds a dead worker's counters into `retired`; its open connections are booked as closed. */
  const retire = (slot: Slot) => {
    retired = addListenerStats(retired, bookDeadWorker(slot.listeners));
    retiredCpu += slot.resources.cpuSeconds;
    retiredErrors += workerErrors[slot.id] ?? 0;
    workerErrors[slot.id] = 0;
    slot.listeners = NO_STATS;
    slot.resources = NO_RESOURCES;
  };

  const listenerStats = () =>
    slots.reduce(
      (total, s) => addListenerStats(total, s.listeners),
      // A fresh zero base each time: addListenerStats adds into its first argument.
      addListenerStats(servedListeners(config), retired),
    );

  const stopAll = async (): Promise<ShutdownSummary> => {
    stopping = true;
    stopMonitor();
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
    return addSummaries(before, summaries);
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
    addresses: () => addresses,
    ready: () => !stopping && slots.every((s) => isHealthy(s)),
    live: () => {
      const stuck = slots.find((s) => s.failedRestarts >= MAX_FAILED_RESTARTS);
      if (stuck === undefined) return true;
      return `worker ${stuck.id}: ${stuck.failedRestarts} restarts in a row failed (${stuck.lastError})`;
    },
    stats: () => combineStreams(listenerStats()),
    listenerStats,
    // A dead worker's CPU time stays in the sum; its memory is gone with it.
    resources: () =>
      slots.reduce(
        (total, s) => addResources(total, s.resources),
        addResources(ownResources(), { cpuSeconds: retiredCpu, residentBytes: 0 }),
      ),
    workers: () => ({
      running: slots.filter((s) => isHealthy(s)).length,
      restarts,
      restartFailures,
      internalErrors: workerErrors.reduce((n, e) => n + e, retiredErrors),
    }),
    pids: () => slots.map((s) => s.proc?.pid ?? null),
    control,
    ...(config.tlsPort !== null ? { reloadTls: () => reloadWorkers(slots, reloadRequests) } : {}),
    refresh: async () => {
      await statsRequests.ask(
        slots.filter((s) => isHealthy(s)).map((s) => s.id),
        (id, seq) => slots[id]?.proc?.send({ t: "stats", seq } satisfies ToWorker),
        STATS_TIMEOUT_MS,
      );
    },
    abort: () => {
      stopping = true;
      stopMonitor();
      for (const slot of slots) slot.proc?.kill("SIGKILL");
    },
    stop: stopAll,
  };
}
