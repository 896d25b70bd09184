/** echod_faults_injected_total: the faults echod injected on purpose, by listener and type. */
import { FAULT_TYPES } from "../echo/stats.ts";
import { perListenerAndLabel, type Scrape } from "./collectors.ts";

export function registerFaultMetrics(scrape: Scrape): void {
  perListenerAndLabel(
    scrape,
    "echod_faults_injected_total",
    "Faults injected on purpose, by listener and type: delay, bandwidth, slice, blackhole and corrupt count chunks or messages; close, reset, timeout, limit_time and slow_close count connections.",
    "type",
    FAULT_TYPES,
    (s, type) => s.faults[type],
  );
}
