/**
 * UDP echo (RFC 862): each datagram goes back to its sender as it came.
 * Two guards keep echod from being used as a reflector against a spoofed
 * source: datagrams larger than --udp-max-size are dropped, and each source
 * address gets at most --udp-rate-limit echoes per second (a token bucket,
 * burst one second's worth). Dropped datagrams are counted by reason. UDP has
 * no connections, so framing and faults do not apply here.
 */
import type { udp } from "bun";
import { formatAddress } from "../address.ts";
import type { Config } from "../config.ts";
import { errorText, listenError } from "../listen-error.ts";
import { createSilentLogger, type Logger } from "../log.ts";
import { createUdpStats, type UdpStats } from "./stats.ts";

/** Sources tracked at once; past this, datagrams from new sources are dropped as rate_limited. */
export const MAX_TRACKED_SOURCES = 100_000;

export interface UdpEchoServer {
  readonly kind: "udp";
  readonly port: number;
  readonly address: string;
  readonly stats: UdpStats;
  stop(): void;
}

interface Bucket {
  tokens: number;
  at: number;
}

export async function startUdpEcho(
  config: Config,
  port: number,
  log: Logger = createSilentLogger(),
): Promise<UdpEchoServer> {
  const stats = createUdpStats();
  const maxSize = config.udpMaxSize;
  const rate = config.udpRateLimit;
  const buckets = new Map<string, Bucket>();
  const debug = log.isLevelEnabled("debug");
  let socketErrors = 0;
  let lastErrorLog = Number.NEGATIVE_INFINITY;

  /** True if `source` may get one more echo now (and takes a token). */
  const allow = (source: string): boolean => {
    const now = performance.now();
    const bucket = buckets.get(source);
    if (bucket === undefined) {
      if (buckets.size >= MAX_TRACKED_SOURCES) return false;
      buckets.set(source, { tokens: rate - 1, at: now });
      return true;
    }
    bucket.tokens = Math.min(rate, bucket.tokens + ((now - bucket.at) * rate) / 1000);
    bucket.at = now;
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  };

  const handler: udp.SocketHandler<"buffer"> = {
    data(socket, data, fromPort, fromAddress, flags) {
      stats.datagramsIn++;
      stats.receivedBytes += data.length;
      if (data.length > maxSize || flags.truncated) {
        stats.dropped.too_large++;
        return;
      }
      if (rate > 0 && !allow(fromAddress)) {
        stats.dropped.rate_limited++;
        return;
      }
      let sent = false;
      try {
        sent = socket.send(data, fromPort, fromAddress);
      } catch {
        // An ICMP error from an earlier send (the peer went away) surfaces on the next one.
      }
      if (sent) {
        stats.datagramsOut++;
        stats.sentBytes += data.length;
      } else {
        stats.dropped.send_failed++;
      }
    },
    // Bun calls this with `error` undefined when the ICMP port-unreachable for an
    // earlier echo comes back (its sender had closed its socket), twice per ICMP
    // message: read nothing off it unchecked. Debug only, at most a line a second.
    error(_socket, error) {
      socketErrors++;
      const now = performance.now();
      if (!debug || now - lastErrorLog < 1000) return;
      log.debug({ err: errorText(error), errors: socketErrors }, "udp socket errors");
      socketErrors = 0;
      lastErrorLog = now;
    },
  };

  let socket: udp.Socket<"buffer">;
  try {
    socket = await Bun.udpSocket({ hostname: config.host, port, socket: handler });
  } catch (error) {
    throw listenError("udp", formatAddress(config.host, port), error);
  }
  // Full buckets carry no information: forget them, so the map holds only recent sources.
  const prune = setInterval(() => {
    const now = performance.now();
    for (const [source, bucket] of buckets) {
      if (bucket.tokens + ((now - bucket.at) * rate) / 1000 >= rate) buckets.delete(source);
    }
  }, 5000);
  prune.unref();

  return {
    kind: "udp",
    port: socket.port,
    address: formatAddress(config.host, socket.port),
    stats,
    stop() {
      clearInterval(prune);
      socket.close();
    },
  };
}
