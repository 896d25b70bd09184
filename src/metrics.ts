/**
 * echod's Prometheus metrics. The socket handlers only bump plain numbers
 * (src/echo/stats.ts); the metrics here read a snapshot of them in
 * `collect()` at scrape time, so a metric costs nothing between scrapes.
 *
 * Two registries hold two separate sets of the same metrics, one per
 * exposition format: prom-client renames counters in place (drops `_total`)
 * while rendering OpenMetrics, so one metric object cannot serve both.
 */
import client, { type Metric, Registry, type RegistryContentType } from "prom-client";
import osMemoryHeap from "prom-client/lib/metrics/osMemoryHeap.js";
import processCpuTotal from "prom-client/lib/metrics/processCpuTotal.js";
import processMaxFileDescriptors from "prom-client/lib/metrics/processMaxFileDescriptors.js";
import processOpenFileDescriptors from "prom-client/lib/metrics/processOpenFileDescriptors.js";
import processStartTime from "prom-client/lib/metrics/processStartTime.js";
import { CLOSE_REASONS, DURATION_BUCKETS, type EchoStats, REJECT_REASONS } from "./echo/stats.ts";
import { VERSION } from "./version.ts";

/** What the metrics read at scrape time. */
export interface MetricsSource {
  /** Counters of the echo listener(s), summed over workers if there are several. */
  stats(): EchoStats;
  ready(): boolean;
  /** CPU seconds and resident bytes of the whole daemon (all its processes). */
  resources(): DaemonResources;
  /** Worker processes running now and restarts so far. */
  workers(): { running: number; restarts: number };
  /** Called before each scrape, so that worker counters can be fetched first. */
  refresh?(): Promise<void>;
}

export interface DaemonResources {
  cpuSeconds: number;
  residentBytes: number;
}

/** This process's own CPU seconds and RSS. */
export function ownResources(): DaemonResources {
  const { user, system } = process.cpuUsage();
  return { cpuSeconds: (user + system) / 1e6, residentBytes: process.memoryUsage.rss() };
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
  let takenAt = -1;
  const stats = () => {
    const now = performance.now();
    if (now - takenAt > 5) {
      snapshot = source.stats();
      takenAt = now;
    }
    return snapshot;
  };

  counter(
    registers,
    "echod_connections_accepted_total",
    "Connections taken into service.",
    () => stats().accepted,
  );
  new client.Gauge({
    name: "echod_connections_active",
    help: "Connections open now.",
    registers,
    collect() {
      this.set(stats().active);
    },
  });
  labelledCounter(
    registers,
    "echod_connections_rejected_total",
    "Connections closed at once because of a limit, by reason.",
    REJECT_REASONS,
    (reason) => stats().rejected[reason],
  );
  labelledCounter(
    registers,
    "echod_connections_closed_total",
    "Served connections that ended, by reason.",
    CLOSE_REASONS,
    (reason) => stats().closed[reason],
  );
  registry.registerMetric(durationHistogram(stats) as unknown as Metric);
  counter(
    registers,
    "echod_received_bytes_total",
    "Bytes read from clients.",
    () => stats().receivedBytes,
  );
  counter(
    registers,
    "echod_sent_bytes_total",
    "Bytes written back to clients.",
    () => stats().sentBytes,
  );
  counter(
    registers,
    "echod_discarded_bytes_total",
    "Bytes read during shutdown after echod's FIN and dropped.",
    () => stats().discardedBytes,
  );
  new client.Gauge({
    name: "echod_buffered_bytes",
    help: "Bytes queued now for clients that read slower than they send.",
    registers,
    collect() {
      this.set(stats().bufferedBytes);
    },
  });
  counter(
    registers,
    "echod_backpressure_pauses_total",
    "Times echod stopped reading from a client because its queue passed --max-buffer.",
    () => stats().backpressurePauses,
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
    help: "Echo worker processes running now (1 when echo runs in the main process).",
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
    "echod_cpu_seconds_total",
    "CPU seconds (user and system) of the whole daemon, all worker processes included.",
    () => source.resources().cpuSeconds,
  );
  new client.Gauge({
    name: "echod_resident_memory_bytes",
    help: "Resident memory of the whole daemon, all worker processes included.",
    registers,
    collect() {
      this.set(source.resources().residentBytes);
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
    processOpenFileDescriptors,
    processMaxFileDescriptors,
  ]) {
    register(registry as Registry);
  }
  return registry;
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

function labelledCounter<R extends string>(
  registers: Registry[],
  name: string,
  help: string,
  reasons: readonly R[],
  read: (reason: R) => number,
): void {
  new client.Counter({
    name,
    help,
    labelNames: ["reason"],
    registers,
    collect() {
      this.reset();
      for (const reason of reasons) this.labels(reason).inc(read(reason));
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
