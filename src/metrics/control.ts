/**
 * echod_control_changes_total{action} and echod_control_refused_total{reason}:
 * what the control API (--control) changed, and the requests it refused.
 * Registered only with --control.
 */
import client from "prom-client";
import { CONTROL_ACTIONS } from "../admin/control/counts.ts";
import type { Scrape } from "./collectors.ts";

export function registerControlMetrics(scrape: Scrape): void {
  const counts = scrape.source.control?.();
  if (counts === undefined) return;
  new client.Counter({
    name: "echod_control_changes_total",
    help: "Changes made through the control API, by action: faults, ready, listener_down, listener_up.",
    labelNames: ["action"],
    registers: scrape.registers,
    collect() {
      this.reset();
      for (const action of CONTROL_ACTIONS) this.labels(action).inc(counts.changes[action]);
    },
  });
  new client.Counter({
    name: "echod_control_refused_total",
    help: "Control API requests refused: unauthorized (401, no or a wrong token) or invalid (400, 404, 409, 413).",
    labelNames: ["reason"],
    registers: scrape.registers,
    collect() {
      this.reset();
      this.labels("unauthorized").inc(counts.unauthorized);
      this.labels("invalid").inc(counts.invalid);
    },
  });
}
