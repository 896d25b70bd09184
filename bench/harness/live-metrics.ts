/**
 * `--metrics-port PORT`: the harness's own Prometheus metrics while it runs,
 * so a long run shows on the same Grafana as the server. Read at scrape
 * time from the run's live totals (live.ts, filled once a second by every
 * worker): nothing is recorded on the per-message path. The latency
 * histogram's buckets are counted from the merged HDR histogram.
 */
import { Counter, Gauge, type MetricValue, Registry } from "prom-client";
import { ERROR_CLASSES } from "./errors.ts";
import type { LiveRun } from "./live.ts";

/** Upper bounds of the latency histogram's buckets, in seconds. */
export const LATENCY_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

export interface RunLabels {
  readonly target: string;
  readonly mode: string;
  readonly transport: string;
}

export function createLiveRegistry(live: LiveRun, labels: RunLabels): Registry {
  const registry = new Registry();
  const counter = (name: string, help: string, read: () => number) =>
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(read());
      },
    });
  counter(
    "echod_bench_messages_sent_total",
    "Messages the harness sent (measured time).",
    () => live.sent,
  );
  counter(
    "echod_bench_messages_echoed_total",
    "Messages echoed back and verified byte for byte (measured time).",
    () => live.messages,
  );
  counter("echod_bench_echoed_bytes_total", "Bytes echoed back and verified.", () => live.bytes);
  new Counter({
    name: "echod_bench_errors_total",
    help: "Errors by class (see echod-bench --help).",
    labelNames: ["class"],
    registers: [registry],
    collect() {
      this.reset();
      for (const k of ERROR_CLASSES) this.inc({ class: k }, live.errors[k]);
    },
  });
  new Gauge({
    name: "echod_bench_connections_open",
    help: "Connections (UDP: sockets) open at the end of the last second.",
    registers: [registry],
    collect() {
      this.set(live.open);
    },
  });
  new Gauge({
    name: "echod_bench_info",
    help: "The run: target, mode and transport.",
    labelNames: ["target", "mode", "transport"],
    registers: [registry],
  })
    .labels(labels.target, labels.mode, labels.transport)
    .set(1);
  registry.registerMetric(latencyHistogram(live) as never);
  return registry;
}

/** A histogram in Prometheus' shape whose buckets are read off the run's merged HDR histogram. */
function latencyHistogram(live: LiveRun) {
  const name = "echod_bench_latency_seconds";
  const help = "Message latency (open loop: from when each was due), merged over workers.";
  const get = async () => {
    const counts = LATENCY_BUCKETS.map(() => 0);
    let sum = 0;
    const it = (live.latency as unknown as { recordedValuesIterator: HdrIterator })
      .recordedValuesIterator;
    it.reset();
    while (it.hasNext()) {
      const v = it.next();
      const seconds = v.valueIteratedTo / 1e6;
      sum += seconds * v.countAtValueIteratedTo;
      LATENCY_BUCKETS.forEach((le, i) => {
        if (seconds <= le) counts[i] = (counts[i] as number) + v.countAtValueIteratedTo;
      });
    }
    const total = live.latency.totalCount;
    return {
      name,
      help,
      type: "histogram",
      aggregator: "sum",
      values: [
        ...LATENCY_BUCKETS.map((le, i) => ({
          metricName: `${name}_bucket`,
          labels: { le: String(le) },
          value: counts[i] as number,
        })),
        { metricName: `${name}_bucket`, labels: { le: "+Inf" }, value: total },
        { metricName: `${name}_sum`, labels: {}, value: sum },
        { metricName: `${name}_count`, labels: {}, value: total },
      ] as MetricValue<string>[],
    };
  };
  return { name, help, type: "histogram", aggregator: "sum", get, reset() {} };
}

interface HdrIterator {
  reset(): void;
  hasNext(): boolean;
  next(): { valueIteratedTo: number; countAtValueIteratedTo: number };
}

/** Serves `registry` on http://HOST:PORT/metrics; returns the server (its `port` is the bound one). */
export function serveLiveMetrics(registry: Registry, hostname: string, port: number) {
  return Bun.serve({
    hostname,
    port,
    development: false,
    async fetch(request) {
      if (new URL(request.url).pathname !== "/metrics") {
        return new Response("not found: the metrics are at /metrics\n", { status: 404 });
      }
      return new Response(await registry.metrics(), {
        headers: { "content-type": registry.contentType },
      });
    },
  });
}
