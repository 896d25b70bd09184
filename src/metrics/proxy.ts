/** echod_proxy_headers_total: PROXY protocol headers on TCP and TLS, by listener, version and result. */
import client from "prom-client";
import { PROXY_RESULTS, PROXY_VERSIONS } from "../echo/stats.ts";
import type { Scrape } from "./collectors.ts";

export function registerProxyMetrics(scrape: Scrape): void {
  new client.Counter({
    name: "echod_proxy_headers_total",
    help: "PROXY protocol headers read, by listener, version (v1, v2, none) and result (accepted, local, invalid, timeout, closed, skipped).",
    labelNames: ["listener", "version", "result"],
    registers: scrape.registers,
    collect() {
      this.reset();
      for (const [listener, stats] of Object.entries(scrape.listeners().stream)) {
        if (!stats || listener === "unix") continue;
        for (const version of PROXY_VERSIONS) {
          for (const result of PROXY_RESULTS) {
            this.labels(listener, version, result).inc(stats.proxyHeaders[version][result]);
          }
        }
      }
    },
  });
}
