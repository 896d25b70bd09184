/** Connection metrics, by listener: accepted, open, rejected, closed, and how long they lasted. */
import { CLOSE_REASONS, REJECT_REASONS } from "../echo/stats.ts";
import { perListener, perListenerAndLabel, type Scrape } from "./collectors.ts";
import { durationHistogram } from "./histogram.ts";

export function registerConnectionMetrics(scrape: Scrape): void {
  perListener(scrape, {
    type: "counter",
    name: "echod_connections_accepted_total",
    help: "Connections taken into service, by listener.",
    read: (s) => s.accepted,
  });
  perListener(scrape, {
    type: "gauge",
    name: "echod_connections_active",
    help: "Connections open now, by listener.",
    read: (s) => s.active,
  });
  perListenerAndLabel(
    scrape,
    "echod_connections_rejected_total",
    "Connections closed at once because of a limit, by listener and reason.",
    "reason",
    REJECT_REASONS,
    (s, reason) => s.rejected[reason],
  );
  perListenerAndLabel(
    scrape,
    "echod_connections_closed_total",
    "Served connections that ended, by listener and reason.",
    "reason",
    CLOSE_REASONS,
    (s, reason) => s.closed[reason],
  );
  for (const registry of scrape.registers) {
    registry.registerMetric(durationHistogram(() => scrape.stats()));
  }
}
