/**
 * echod_control_changes_total{action} and echod_control_refused_total{reason}:
 * what the control API (--control) changed, and the requests it refused.
 * Registered only with --control.
 */
import client from "prom-client";
import { CONTROL_ACTIONS } from "../admin/control/counts.ts";
import type { Scrape } from "./collectors.ts";

export function registerControlMetrics(scrape: Scrape): void {
  const read = scrape.source.control;
  if (read === undefined) return;
  // Read at each scrape: the source may hand over to the live API's counters (warm-up.ts).
  const counts = () => read();
  new client.Counter({
    name: "echod_control_changes_total",
    help: "Changes made through the control API, by action: faults, ready, listener_down, listener_up.",
    labelNames: ["action"],
    registers: scrape.registers,
    collect() {
      this.reset();
      const { changes } = counts();
      for (const action of CONTROL_ACTIONS) this.labels(action).inc(changes[action]);
    },
  });
  new client.Counter({
    name: "echod_control_refused_total",
    help: "Control API requests refused: unauthorized (401, no or a wrong token) or invalid (400, 404, 409, 413).",
    labelNames: ["reason"],
    registers: scrape.registers,
    collect() {
      this.reset();
      const { unauthorized, invalid } = counts();
      this.labels("unauthorized").inc(unauthorized);
      this.labels("invalid").inc(invalid);
    },
  });
}
