/**
 * Plain-number counters that the socket handlers bump on the hot path.
 * Nothing here allocates or calls into prom-client: the metrics module reads
 * a snapshot at scrape time, and worker processes send snapshots to the
 * primary, which adds them up.
 */

import {
  CLOSE_REASONS,
  type CloseReason,
  FAULT_TYPES,
  type FaultType,
  PROXY_RESULTS,
  PROXY_VERSIONS,
  type ProxyResult,
  type ProxyVersion,
  REJECT_REASONS,
  type RejectReason,
} from "./reasons.ts";

// The label lists moved to reasons.ts; their importers still find them here.
export * from "./reasons.ts";

/** Upper bounds (seconds) of the connection duration histogram. */
export const DURATION_BUCKETS = [0.01, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600] as const;

export interface EchoStats {
  /** The connection limit in force (lowered below --max-connections by a low open-files limit). */
  maxConnections: number;
  /** Connections taken into service (rejected ones are not counted here). */
  accepted: number;
  active: number;
  rejected: Record<RejectReason, number>;
  closed: Record<CloseReason, number>;
  receivedBytes: number;
  sentBytes: number;
  /**
   * Bytes read and dropped, never echoed: after our FIN in shutdown (see
   * finish in lifecycle.ts), after a fault or an over-size message, an
   * incomplete last frame, what was queued for a client that went away.
   * At every moment receivedBytes = sentBytes + discardedBytes + bufferedBytes.
   */
  discardedBytes: number;
  /** Bytes held now: queued for clients that read slower than they send, waiting for a fault, or a partial frame. */
  bufferedBytes: number;
  /**
   * Bytes of --banner written or queued (greetings and --whoami-line
   * answers): counted in sentBytes (or bufferedBytes) too but not echo, so
   * with a banner the balance is received + banner = sent + discarded + buffered.
   */
  bannerBytes: number;
  /** Connections paused because daemon-wide queued bytes passed --max-memory. */
  memoryPauses: number;
  /** This process's --max-memory budget in bytes (0 = none); daemon-wide, so taken once per process. */
  memoryBudget: number;
  /** The most bytes any one connection has had queued at once. */
  peakConnectionBuffer: number;
  backpressurePauses: number;
  /** Framed messages echoed (--framing line or length-prefixed). */
  messages: number;
  faults: Record<FaultType, number>;
  /** PROXY protocol headers, by version and result. */
  proxyHeaders: Record<ProxyVersion, Record<ProxyResult, number>>;
  /** Cumulative counts per DURATION_BUCKETS bound, plus +Inf last. */
  durationBuckets: number[];
  durationSum: number;
}

export function createStats(maxConnections = 0): EchoStats {
  return {
    maxConnections,
    accepted: 0,
    active: 0,
    rejected: zeroed(REJECT_REASONS),
    closed: zeroed(CLOSE_REASONS),
    receivedBytes: 0,
    sentBytes: 0,
    discardedBytes: 0,
    bufferedBytes: 0,
    bannerBytes: 0,
    memoryPauses: 0,
    memoryBudget: 0,
    peakConnectionBuffer: 0,
    backpressurePauses: 0,
    messages: 0,
    faults: zeroed(FAULT_TYPES),
    proxyHeaders: {
      v1: zeroed(PROXY_RESULTS),
      v2: zeroed(PROXY_RESULTS),
      none: zeroed(PROXY_RESULTS),
    },
    durationBuckets: new Array<number>(DURATION_BUCKETS.length + 1).fill(0),
    durationSum: 0,
  };
}

/** Counts one closed connection's duration into the cumulative buckets. */
export function observeDuration(stats: EchoStats, seconds: number): void {
  stats.durationSum += seconds;
  const buckets = stats.durationBuckets;
  for (let i = 0; i < DURATION_BUCKETS.length; i++) {
    if (seconds <= (DURATION_BUCKETS[i] as number)) buckets[i] = (buckets[i] as number) + 1;
  }
  buckets[DURATION_BUCKETS.length] = (buckets[DURATION_BUCKETS.length] as number) + 1;
}

/** Adds `from` into `into` (the primary sums worker snapshots this way). */
export function addStats(into: EchoStats, from: EchoStats): EchoStats {
  into.maxConnections += from.maxConnections;
  into.accepted += from.accepted;
  into.active += from.active;
  for (const r of REJECT_REASONS) into.rejected[r] += from.rejected[r];
  for (const r of CLOSE_REASONS) into.closed[r] += from.closed[r];
  into.receivedBytes += from.receivedBytes;
  into.sentBytes += from.sentBytes;
  into.discardedBytes += from.discardedBytes;
  into.bufferedBytes += from.bufferedBytes;
  into.bannerBytes += from.bannerBytes;
  into.memoryPauses += from.memoryPauses;
  into.memoryBudget += from.memoryBudget;
  into.peakConnectionBuffer = Math.max(into.peakConnectionBuffer, from.peakConnectionBuffer);
  into.backpressurePauses += from.backpressurePauses;
  into.messages += from.messages;
  for (const f of FAULT_TYPES) into.faults[f] += from.faults[f];
  for (const v of PROXY_VERSIONS) {
    for (const r of PROXY_RESULTS) into.proxyHeaders[v][r] += from.proxyHeaders[v][r];
  }
  from.durationBuckets.forEach((n, i) => {
    into.durationBuckets[i] = (into.durationBuckets[i] ?? 0) + n;
  });
  into.durationSum += from.durationSum;
  return into;
}

/** The stream listeners, as named by the `listener` label in metrics (UDP is "udp"). */
export const STREAM_KINDS = ["tcp", "tls", "unix"] as const;
export type StreamKind = (typeof STREAM_KINDS)[number];

/** Each listener's own counters, for metrics labelled by `listener` (the kind, or a --profile name). */
export interface ListenerStats {
  readonly stream: Readonly<Record<string, EchoStats>>;
  readonly udp: UdpStats | null;
}

/** Why a datagram was not echoed. */
export const UDP_DROP_REASONS = ["too_large", "rate_limited", "send_failed"] as const;
export type UdpDropReason = (typeof UDP_DROP_REASONS)[number];

/** Counters of the UDP echo listener, which has datagrams instead of connections. */
export interface UdpStats {
  datagramsIn: number;
  datagramsOut: number;
  dropped: Record<UdpDropReason, number>;
  receivedBytes: number;
  sentBytes: number;
}

/** Adds `from` into `into`, listener by listener (the primary sums workers this way). */
export function addListenerStats(into: ListenerStats, from: ListenerStats): ListenerStats {
  const stream: Record<string, EchoStats> = { ...into.stream };
  for (const [name, add] of Object.entries(from.stream)) {
    stream[name] = addStats(stream[name] ?? createStats(), add);
  }
  let udp = into.udp;
  if (from.udp) {
    udp ??= createUdpStats();
    udp.datagramsIn += from.udp.datagramsIn;
    udp.datagramsOut += from.udp.datagramsOut;
    for (const r of UDP_DROP_REASONS) udp.dropped[r] += from.udp.dropped[r];
    udp.receivedBytes += from.udp.receivedBytes;
    udp.sentBytes += from.udp.sentBytes;
  }
  return { stream, udp };
}

/**
 * All stream listeners of one process together. They share one connection
 * limit, so the limit is taken once (from TCP), not summed.
 */
export function combineStreams(listeners: ListenerStats): EchoStats {
  const total = createStats();
  for (const stats of Object.values(listeners.stream)) addStats(total, stats);
  total.maxConnections = listeners.stream.tcp?.maxConnections ?? 0;
  total.memoryBudget = listeners.stream.tcp?.memoryBudget ?? 0;
  return total;
}

export function createUdpStats(): UdpStats {
  return {
    datagramsIn: 0,
    datagramsOut: 0,
    dropped: zeroed(UDP_DROP_REASONS),
    receivedBytes: 0,
    sentBytes: 0,
  };
}

export function zeroed<K extends string>(keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
}
