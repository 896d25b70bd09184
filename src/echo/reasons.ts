/**
 * The label values echod counts by: why a connection closed or was
 * rejected, which fault acted, what a PROXY protocol header was. The
 * counters (stats.ts) and the metrics (src/metrics/) are keyed by these.
 */

/** Why a served connection ended. `rejected` connections are counted apart. */
export const CLOSE_REASONS = [
  "peer_closed",
  "peer_reset",
  "idle_timeout",
  "shutdown",
  "shutdown_timeout",
  "message_too_large",
  "fault_close",
  "fault_reset",
  "fault_timeout",
  "fault_limit_time",
  "tls_handshake_failed",
  "worker_died",
  "error",
] as const;
export type CloseReason = (typeof CLOSE_REASONS)[number];

/** Why a new connection was closed at once instead of being served. */
export const REJECT_REASONS = [
  "max_connections",
  "fd_limit",
  "per_ip_limit",
  "proxy_protocol",
  "denied",
  "rate_limited",
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

/**
 * Faults injected on purpose (see faults/): `delay`, `bandwidth`, `slice`,
 * `blackhole` and `corrupt` count the chunks or messages they held back,
 * split, dropped or altered; `close`, `reset`, `timeout` and `limit_time`
 * count the connections they ended, `slow_close` those whose end it held.
 */
export const FAULT_TYPES = [
  "delay",
  "bandwidth",
  "slice",
  "close",
  "reset",
  "blackhole",
  "timeout",
  "slow_close",
  "corrupt",
  "limit_time",
] as const;
export type FaultType = (typeof FAULT_TYPES)[number];

/** The PROXY protocol header a connection started with: `none` when neither signature (proxy/). */
export const PROXY_VERSIONS = ["v1", "v2", "none"] as const;
export type ProxyVersion = (typeof PROXY_VERSIONS)[number];

/**
 * What became of it: `accepted` (the client address taken from it), `local`
 * (v2 LOCAL or UNSPEC, v1 UNKNOWN: the socket's address used), `invalid`,
 * `timeout`, `closed` (the peer left before it was complete), `skipped`
 * (a source outside --proxy-protocol-from, served as without a header).
 */
export const PROXY_RESULTS = [
  "accepted",
  "local",
  "invalid",
  "timeout",
  "closed",
  "skipped",
] as const;
export type ProxyResult = (typeof PROXY_RESULTS)[number];
