/** UDP metrics: datagrams in and out, and those dropped by reason (no series when UDP is off). */
import { UDP_DROP_REASONS } from "../echo/stats.ts";
import { type Scrape, udpCounter } from "./collectors.ts";

export function registerUdpMetrics(scrape: Scrape): void {
  udpCounter(
    scrape,
    "echod_udp_datagrams_total",
    "UDP datagrams received (in) and echoed (out).",
    "direction",
    ["in", "out"] as const,
    (u, direction) => (direction === "in" ? u.datagramsIn : u.datagramsOut),
  );
  udpCounter(
    scrape,
    "echod_udp_datagrams_dropped_total",
    "UDP datagrams received and not echoed, by reason.",
    "reason",
    UDP_DROP_REASONS,
    (u, reason) => u.dropped[reason],
  );
}
