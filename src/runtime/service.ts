/**
 * What one process's listeners report, read the same way by single-process
 * echod (local.ts) and by each worker process (workers/worker.ts): their
 * addresses, their counters by listener, the ports they bound.
 */
import type { EchoService } from "../echo/listeners.ts";
import type { EchoStats, ListenerStats } from "../echo/stats.ts";

type Listeners = Pick<EchoService, "servers" | "udp">;

/** Where each listener listens, by name (`tcp`, `tls`, `unix`, `udp`, a --profile's). */
export function serviceAddresses(echo: Listeners): Record<string, string> {
  const addresses: Record<string, string> = {};
  for (const server of echo.servers) addresses[server.name] = server.address;
  if (echo.udp !== null) addresses.udp = echo.udp.address;
  return addresses;
}

/** Each listener's live counters (the objects themselves, not copies). */
export function serviceListenerStats(echo: Listeners): ListenerStats {
  const stream: Record<string, EchoStats> = {};
  for (const server of echo.servers) stream[server.name] = server.stats;
  return { stream, udp: echo.udp?.stats ?? null };
}
