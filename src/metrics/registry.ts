/**
 * echod's Prometheus metrics. The socket handlers only bump plain numbers
 * (src/echo/stats.ts); the metrics read a snapshot of them in `collect()` at
 * scrape time, so a metric costs nothing between scrapes. One file per
 * metric group; this one builds the registries from them.
 *
 * Two registries hold two separate sets of the same metrics, one per
 * exposition format: prom-client renames counters in place (drops `_total`)
 * while rendering OpenMetrics, so one metric object cannot serve both.
 */
import { Registry, type RegistryContentType } from "prom-client";
import type { EchoStats, ListenerStats } from "../echo/stats.ts";
import { registerByteMetrics } from "./bytes.ts";
import type { Scrape } from "./collectors.ts";
import { registerConnectionMetrics } from "./connections.ts";
import { registerControlMetrics } from "./control.ts";
import { registerDaemonMetrics } from "./daemon.ts";
import { registerFaultMetrics } from "./faults.ts";
import { registerProcessMetrics } from "./process.ts";
import { registerProxyMetrics } from "./proxy.ts";
import type { DaemonResources } from "./resources.ts";
import type { MetricsSource } from "./source.ts";
import { registerUdpMetrics } from "./udp.ts";

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
  last: { readonly lastSeconds: number },
): AnyRegistry {
  const registry = new Registry<RegistryContentType>();
  registry.setContentType(contentType);
  // One snapshot per scrape: the first metric collected takes it, the rest reuse it.
  let stats: EchoStats = source.stats();
  let listeners: ListenerStats = source.listenerStats();
  let resources: DaemonResources = source.resources();
  let takenAt = -1;
  const refresh = () => {
    const now = performance.now();
    if (now - takenAt > 5) {
      stats = source.stats();
      listeners = source.listenerStats();
      resources = source.resources();
      takenAt = now;
    }
  };
  const scrape: Scrape = {
    registers: [registry as Registry],
    source,
    stats() {
      refresh();
      return stats;
    },
    listeners() {
      refresh();
      return listeners;
    },
    resources() {
      refresh();
      return resources;
    },
    lastSeconds: () => last.lastSeconds,
  };
  // The order of the groups is the order of the exposition.
  registerConnectionMetrics(scrape);
  registerByteMetrics(scrape);
  registerFaultMetrics(scrape);
  registerProxyMetrics(scrape);
  registerUdpMetrics(scrape);
  registerDaemonMetrics(scrape);
  registerControlMetrics(scrape);
  registerProcessMetrics(registry as Registry);
  return registry;
}
