/**
 * echod's Prometheus metrics. The socket handlers only bump plain numbers
 * (src/echo/stats.ts); the metrics here read a snapshot of them in
 * `collect()` at scrape time, so a metric costs nothing between scrapes.
 *
 * Two registries hold two separate sets of the same metrics, one per
 * exposition format: prom-client renames counters in place (drops `_total`)
 * while rendering OpenMetrics, so one metric object cannot serve both.
 */
import { readdirSync, statSync } from "node:fs";
import client, { type Metric, Registry, type RegistryContentType } from "prom-client";
import osMemoryHeap from "prom-client/lib/metrics/osMemoryHeap.js";
import processCpuTotal from "prom-client/lib/metrics/processCpuTotal.js";
import processMaxFileDescriptors from "prom-client/lib/metrics/processMaxFileDescriptors.js";
import processStartTime from "prom-client/lib/metrics/processStartTime.js";
import {
  CLOSE_REASONS,
  DURATION_BUCKETS,
  type EchoStats,
  FAULT_TYPES,
  type ListenerStats,
  REJECT_REASONS,
  UDP_DROP_REASONS,
  type UdpStats,
} from "./echo/stats.ts";
import { internalErrors } from "./process-guard.ts";
import { VERSION } from "./version.ts";

/** What the metrics read at scrape time. */
export interface MetricsSource {
  /** Counters of the echo listener(s), summed over workers if there are several. */
  stats(): EchoStats;
  /** Each listener's own counters, for the metrics labelled `listener`. */
  listeners(): ListenerStats;
  ready(): boolean;
  /** CPU seconds and resident bytes of the whole daemon (all its processes). */
  resources(): DaemonResources;
  /** Worker processes running now (and answering), restarts so far, and restarts that failed. */
  workers(): {
    running: number;
    restarts: number;
    restartFailures?: number;
    /** Uncaught errors in worker processes, those of dead workers included. */
    internalErrors?: number;
  };
  /** Called before each scrape, so that worker counters can be fetched first. */
  refresh?(): Promise<void>;
}

export interface DaemonResources {
  cpuSeconds: number;
  residentBytes: number;
}

let lastResidentBytes = 0;

/** This process's own CPU seconds and RSS. Never throws. */
export function ownResources(): DaemonResources {
  const { user, system } = process.cpuUsage();
  // Bun reads RSS from /proc/self/statm and throws when no descriptor is free
  // (EMFILE); a heartbeat or a scrape must not die of that: keep the last value.
  try {
    lastResidentBytes = process.memoryUsage.rss();
  } catch {}
  return { cpuSeconds: (user + system) / 1e6, residentBytes: lastResidentBytes };
}

type AnyRegistry = Registry<RegistryContentType>;

export interface MetricsRegistries {
  readonly prometheus: AnyRegistry;
  readonly openMetrics: AnyRegistry;
  /** The admin server reports how long each /metrics answer took to build. */
  recordScrape(seconds: number): void;
}

export function createMetrics(source: MetricsSource): MetricsRegistries {
  const scrape = { lastSeconds: 0 };
  return {
    prometheus: createRegistry(source, Registry.PROMETHEUS_CONTENT_TYPE, scrape),
    openMetrics: createRegistry(source, Registry.OPENMETRICS_CONTENT_TYPE, scrape),
    recordScrape(seconds) {
      scrape.lastSeconds = seconds;
    },
  };
}

/** Chooses the format the scraper asked for in `Accept`. */
export function registryFor(registries: MetricsRegistries, accept: string | null): AnyRegistry {
  return accept?.includes("application/openmetrics-text")
    ? registries.openMetrics
    : registries.prometheus;
}

function createRegistry(
  source: MetricsSource,
  contentType: RegistryContentType,
  scrape: { readonly lastSeconds: number },
): AnyRegistry {
  const registry = new Registry<RegistryContentType>();
  registry.setContentType(contentType);
  const registers = [registry as Registry];
  // One snapshot per scrape: the first metric collected takes it, the rest reuse it.
  let snapshot: EchoStats = source.stats();
  let listenerSnapshot: ListenerStats = source.listeners();
  let resourcesSnapshot: DaemonResources = source.resources();
  let takenAt = -1;
  const refresh = () => {
    const now = performance.now();
    if (now - takenAt > 5) {
      snapshot = source.stats();
      listenerSnapshot = source.listeners();
      resourcesSnapshot = source.resources();
      takenAt = now;
    }
  };
  const resources = () => {
    refresh();
    return resourcesSnapshot;
  };
  const stats = () => {
    refresh();
    return snapshot;
  };
  const refreshed = () => {
    refresh();
    return listenerSnapshot;
  };

  perListener(
    registers,
    "counter",
    "echod_connections_accepted_total",
    "Connections taken into service, by listener.",
    refreshed,
    (s) => s.accepted,
  );
  perListener(
    registers,
    "gauge",
    "echod_connections_active",
    "Connections open now, by listener.",
    refreshed,
    (s) => s.active,
  );
  perListenerAndLabel(
    registers,
    "echod_connections_rejected_total",
    "Connections closed at once because of a limit, by listener and reason.",
    "reason",
    REJECT_REASONS,
    refreshed,
    (s, reason) => s.rejected[reason],
  );
  perListenerAndLabel(
    registers,
    "echod_connections_closed_total",
    "Served connections that ended, by listener and reason.",
    "reason",
    CLOSE_REASONS,
    refreshed,
    (s, reason) => s.closed[reason],
  );
  registry.registerMetric(durationHistogram(stats) as unknown as Metric);
  perListener(
    registers,
    "counter",
    "echod_received_bytes_total",
    "Bytes read from clients, by listener.",
    refreshed,
    (s) => s.receivedBytes,
    (u) => u.receivedBytes,
  );
  perListener(
    registers,
    "counter",
    "echod_sent_bytes_total",
    "Bytes written back to clients, by listener.",
    refreshed,
    (s) => s.sentBytes,
    (u) => u.sentBytes,
  );
  perListener(
    registers,
    "counter",
    "echod_discarded_bytes_total",
    "Bytes read and dropped, not echoed (after echod's FIN, after a fault or an over-size message, an incomplete last frame), by listener.",
    refreshed,
    (s) => s.discardedBytes,
  );
  perListener(
    registers,
    "gauge",
    "echod_buffered_bytes",
    "Bytes held now for clients that read slower than they send (or delayed by a fault), by listener.",
    refreshed,
    (s) => s.bufferedBytes,
  );
  perListener(
    registers,
    "counter",
    "echod_backpressure_pauses_total",
    "Times echod stopped reading from a client because its queue passed --max-buffer, by listener.",
    refreshed,
    (s) => s.backpressurePauses,
  );
  perListener(
    registers,
    "counter",
    "echod_messages_total",
    "Framed messages echoed (--framing line or length-prefixed), by listener.",
    refreshed,
    (s) => s.messages,
  );
  perListenerAndLabel(
    registers,
    "echod_faults_injected_total",
    "Faults injected on purpose, by listener and type: delay, bandwidth and slice count chunks or messages, close and reset count connections.",
    "type",
    FAULT_TYPES,
    refreshed,
    (s, type) => s.faults[type],
  );
  udpCounter(
    registers,
    "echod_udp_datagrams_total",
    "UDP datagrams received (in) and echoed (out).",
    "direction",
    ["in", "out"] as const,
    refreshed,
    (u, direction) => (direction === "in" ? u.datagramsIn : u.datagramsOut),
  );
  udpCounter(
    registers,
    "echod_udp_datagrams_dropped_total",
    "UDP datagrams received and not echoed, by reason.",
    "reason",
    UDP_DROP_REASONS,
    refreshed,
    (u, reason) => u.dropped[reason],
  );
  new client.Gauge({
    name: "echod_max_connections",
    help: "The connection limit in force: --max-connections, or lower under a low open-files limit.",
    registers,
    collect() {
      this.set(stats().maxConnections);
    },
  });
  new client.Gauge({
    name: "echod_ready",
    help: "1 while echod accepts connections, 0 before it listens and once shutdown begins.",
    registers,
    collect() {
      this.set(source.ready() ? 1 : 0);
    },
  });
  new client.Gauge({
    name: "echod_workers",
    help: "Echo worker processes listening and answering heartbeats now (1 when echo runs in the main process).",
    registers,
    collect() {
      this.set(source.workers().running);
    },
  });
  counter(
    registers,
    "echod_worker_restarts_total",
    "Worker processes restarted after they died.",
    () => source.workers().restarts,
  );
  counter(
    registers,
    "echod_worker_restart_failures_total",
    "Worker restarts that failed (the new process exited or hung before listening); retried with backoff.",
    () => source.workers().restartFailures ?? 0,
  );
  counter(
    registers,
    "echod_internal_errors_total",
    "Exceptions nothing caught (uncaught or unhandled rejections), logged with their stack; echod keeps running. Any is a bug.",
    () => internalErrors() + (source.workers().internalErrors ?? 0),
  );
  counter(
    registers,
    "echod_cpu_seconds_total",
    "CPU seconds (user and system) of the whole daemon, all worker processes included.",
    () => resources().cpuSeconds,
  );
  new client.Gauge({
    name: "echod_resident_memory_bytes",
    help: "Resident memory of the whole daemon, all worker processes included.",
    registers,
    collect() {
      this.set(resources().residentBytes);
    },
  });
  new client.Gauge({
    name: "echod_last_scrape_duration_seconds",
    help: "Time echod took to build the previous /metrics answer (the event-loop time a scrape costs).",
    registers,
    collect() {
      this.set(scrape.lastSeconds);
    },
  });
  new client.Gauge({
    name: "echod_build_info",
    help: "echod's version and the Bun version running it; always 1.",
    labelNames: ["version", "bun_version"],
    registers,
  })
    .labels(VERSION, Bun.version)
    .set(1);

  // prom-client's default set, trimmed: on Bun the heap-space group reports zeros
  // and costs ~6 ms a scrape, and GC, handle and request metrics are always empty.
  for (const register of [
    processCpuTotal,
    processStartTime,
    osMemoryHeap,
    processMaxFileDescriptors,
  ]) {
    register(registry as Registry);
  }
  new client.Gauge({
    name: "process_open_fds",
    help: "Number of open file descriptors.",
    registers,
    collect() {
      this.set(openFileDescriptors());
    },
  });
  return registry;
}

/**
 * Open descriptors of this process. prom-client lists /proc/self/fd, which
 * with 10,000 connections takes about 11 ms of event loop per scrape; Linux
 * 6.2 and later report the count as the directory's size, which one stat
 * reads in a fraction of a millisecond. Older kernels report 0 there, and
 * get the listing.
 */
export function openFileDescriptors(): number {
  try {
    const size = statSync("/proc/self/fd").size;
    if (size > 0) return size;
    // The listing holds the descriptor it reads the directory through.
    return readdirSync("/proc/self/fd").length - 1;
  } catch {
    return 0;
  }
}

function counter(registers: Registry[], name: string, help: string, read: () => number): void {
  new client.Counter({
    name,
    help,
    registers,
    collect() {
      this.reset();
      this.inc(read());
    },
  });
}

type ReadListeners = () => ListenerStats;

/** A metric with one series per listener; UDP has one only if `udpRead` says how to read it. */
function perListener(
  registers: Registry[],
  type: "counter" | "gauge",
  name: string,
  help: string,
  listeners: ReadListeners,
  read: (stats: EchoStats) => number,
  udpRead?: (stats: UdpStats) => number,
): void {
  const fill = (set: (listener: string, value: number) => void) => {
    const { stream, udp } = listeners();
    for (const [listener, stats] of Object.entries(stream)) {
      if (stats) set(listener, read(stats));
    }
    if (udp && udpRead) set("udp", udpRead(udp));
  };
  if (type === "gauge") {
    new client.Gauge({
      name,
      help,
      labelNames: ["listener"],
      registers,
      collect() {
        this.reset();
        fill((listener, value) => this.labels(listener).set(value));
      },
    });
    return;
  }
  new client.Counter({
    name,
    help,
    labelNames: ["listener"],
    registers,
    collect() {
      this.reset();
      fill((listener, value) => this.labels(listener).inc(value));
    },
  });
}

/** A counter with one series per stream listener and value of `label`. */
function perListenerAndLabel<R extends string>(
  registers: Registry[],
  name: string,
  help: string,
  label: string,
  values: readonly R[],
  listeners: ReadListeners,
  read: (stats: EchoStats, value: R) => number,
): void {
  new client.Counter({
    name,
    help,
    labelNames: ["listener", label],
    registers,
    collect() {
      this.reset();
      for (const [listener, stats] of Object.entries(listeners().stream)) {
        if (!stats) continue;
        for (const value of values) this.labels(listener, value).inc(read(stats, value));
      }
    },
  });
}

/** A UDP counter by `label`; no series at all when UDP is off. */
function udpCounter<R extends string>(
  registers: Registry[],
  name: string,
  help: string,
  label: string,
  values: readonly R[],
  listeners: ReadListeners,
  read: (stats: UdpStats, value: R) => number,
): void {
  new client.Counter({
    name,
    help,
    labelNames: [label],
    registers,
    collect() {
      this.reset();
      const udp = listeners().udp;
      if (udp === null) return;
      for (const value of values) this.labels(value).inc(read(udp, value));
    },
  });
}

/**
 * A histogram whose buckets are counted by the close handler as plain
 * numbers (observeDuration) and only rendered here; prom-client's Histogram
 * cannot be set from counts, so this implements the registry's metric shape.
 */
function durationHistogram(stats: () => EchoStats) {
  const name = "echod_connection_duration_seconds";
  return {
    name,
    help: "How long served connections lasted, observed when they close.",
    type: "histogram",
    aggregator: "sum",
    reset() {},
    async get() {
      const { durationBuckets, durationSum } = stats();
      const count = durationBuckets[DURATION_BUCKETS.length] ?? 0;
      const values: { metricName: string; labels: { le?: number | string }; value: number }[] =
        DURATION_BUCKETS.map((le, i) => ({
          metricName: `${name}_bucket`,
          labels: { le },
          value: durationBuckets[i] ?? 0,
        }));
      values.push({ metricName: `${name}_bucket`, labels: { le: "+Inf" }, value: count });
      return {
        name,
        help: this.help,
        type: "histogram",
        aggregator: "sum",
        values: [
          ...values,
          { metricName: `${name}_sum`, labels: {}, value: durationSum },
          { metricName: `${name}_count`, labels: {}, value: count },
        ],
      };
    },
  };
}
