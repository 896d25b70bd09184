/** echod_faults_injected_total: the faults echod injected on purpose, by listener and type. */
import { FAULT_TYPES } from "../echo/stats.ts";
import { perListenerAndLabel, type Scrape } from "./collectors.ts";

export function registerFaultMetrics(scrape: Scrape): void {
  perListenerAndLabel(
    scrape,
    "echod_faults_injected_total",
    "Faults injected on purpose, by listener and type: delay, bandwidth and slice count chunks or messages, close and reset count connections.",
    "type",
    FAULT_TYPES,
    (s, type) => s.faults[type],
  );
}
