/**
 * Daemon-wide metrics: the connection limit, readiness, worker processes,
 * internal errors, CPU and memory of all processes, scrape cost, build info.
 */
import client from "prom-client";
import { internalErrors } from "../process-guard.ts";
import { VERSION } from "../version.ts";
import { type PlainMetric, plain, type Scrape } from "./collectors.ts";

function daemonMetrics(scrape: Scrape): PlainMetric[] {
  const { source } = scrape;
  // biome-ignore format: a table, one metric a row, its help text last
  return [
    { name: "echod_max_connections", type: "gauge", read: () => scrape.stats().maxConnections, help: "The connection limit in force: --max-connections, or lower under a low open-files limit." },
    { name: "echod_memory_budget_bytes", type: "gauge", read: () => scrape.stats().memoryBudget, help: "The --max-memory budget in force, all worker processes together (0 = none)." },
    { name: "echod_memory_queued_bytes", type: "gauge", read: () => scrape.stats().bufferedBytes, help: "Bytes held now across every stream connection of the daemon, the figure --max-memory bounds." },
    { name: "echod_ready", type: "gauge", read: () => (source.ready() ? 1 : 0), help: "1 while echod accepts connections, 0 before it listens and once shutdown begins." },
    { name: "echod_workers", type: "gauge", read: () => source.workers().running, help: "Echo worker processes listening and answering heartbeats now (1 when echo runs in the main process)." },
    { name: "echod_worker_restarts_total", type: "counter", read: () => source.workers().restarts, help: "Worker processes restarted after they died." },
    { name: "echod_worker_restart_failures_total", type: "counter", read: () => source.workers().restartFailures, help: "Worker restarts that failed (the new process exited or hung before listening); retried with backoff." },
    { name: "echod_internal_errors_total", type: "counter", read: () => internalErrors() + source.workers().internalErrors, help: "Exceptions nothing caught (uncaught or unhandled rejections), logged with their stack; echod keeps running. Any is a bug." },
    { name: "echod_cpu_seconds_total", type: "counter", read: () => scrape.resources().cpuSeconds, help: "CPU seconds (user and system) of the whole daemon, all worker processes included." },
    { name: "echod_resident_memory_bytes", type: "gauge", read: () => scrape.resources().residentBytes, help: "Resident memory of the whole daemon, all worker processes included." },
    { name: "echod_last_scrape_duration_seconds", type: "gauge", read: () => scrape.lastSeconds(), help: "Time echod took to build the previous /metrics answer (the event-loop time a scrape costs)." },
  ];
}

export function registerDaemonMetrics(scrape: Scrape): void {
  for (const metric of daemonMetrics(scrape)) plain(scrape.registers, metric);
  new client.Gauge({
    name: "echod_build_info",
    help: "echod's version and the Bun version running it; always 1.",
    labelNames: ["version", "bun_version"],
    registers: scrape.registers,
  })
    .labels(VERSION, Bun.version)
    .set(1);
}
