/**
 * The options of the service as a whole: the TCP echo port and address,
 * connection limits, timeouts, shutdown and worker processes.
 */
import { formatSize } from "../units.ts";
import * as p from "./parsers.ts";
import { option } from "./spec.ts";

/** The smallest high-water mark accepted: below one read it only costs syscalls. */
export const MIN_MAX_BUFFER = 1024;

const MiB = 1024 * 1024;

export const SERVICE_OPTIONS = {
  port: option({
    flag: "port",
    alias: "p",
    default: 7007,
    parser: p.port,
    help: "Echo port (0 = any free port)",
    docs: "echo port; `0` picks a free port. Also the positional `echod PORT`",
  }),
  host: option({
    flag: "host",
    default: "0.0.0.0",
    parser: p.host,
    help: "Address to listen on (:: for IPv6 and dual-stack)",
    docs: "address the TCP, TLS and UDP listeners bind; `::` for IPv6 and dual-stack",
  }),
  maxConnections: option({
    flag: "max-connections",
    default: 10_000,
    parser: p.integer(1),
    help: "Concurrent connections before new ones are rejected",
    docs: "concurrent connections; past it a new one is closed at once and counted as rejected (`max_connections`)",
  }),
  maxConnectionsPerIp: option({
    flag: "max-connections-per-ip",
    default: 0,
    parser: p.integer(0),
    help: "Concurrent connections from one IP address (0 = no limit)",
    docs: "concurrent connections from one IP address (TCP and TLS together); past it a new one is closed at once (`per_ip_limit`); `0` = no limit",
  }),
  idleTimeout: option({
    flag: "idle-timeout",
    default: 300,
    parser: p.seconds,
    help: "Seconds without traffic before a connection is closed (0 = off)",
    docs: "seconds with no traffic either way before a connection is closed; `0` = never",
  }),
  maxBuffer: option({
    flag: "max-buffer",
    default: MiB,
    shown: formatSize(MiB).replace(" ", ""),
    parser: p.size(MIN_MAX_BUFFER),
    help: "Bytes queued per connection before reading pauses (64KiB, 1MiB)",
    docs: "high-water mark: bytes queued for one connection before echod stops reading from it",
  }),
  shutdownTimeout: option({
    flag: "shutdown-timeout",
    default: 10,
    parser: p.seconds,
    help: "Seconds to drain connections on SIGTERM before cutting them",
    docs: "seconds the graceful drain on SIGTERM may take before the remaining connections are cut",
  }),
  shutdownDelay: option({
    flag: "shutdown-delay",
    default: 0,
    parser: p.seconds,
    help: "Seconds to report not-ready on SIGTERM before draining",
    docs: "seconds to report not-ready (`/readyz` 503) on SIGTERM before the drain starts",
  }),
  workers: option({
    flag: "workers",
    default: 1,
    parser: p.workers,
    help: "Echo worker processes sharing the port (auto = one per CPU)",
    docs: "echo worker processes sharing the ports; `1` echoes in the main process; limits are split between workers",
  }),
} as const;
