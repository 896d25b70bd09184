/**
 * The PROXY protocol stage of a listener with --proxy-protocol on: wraps the
 * listener's echo handlers (raw or fault pipeline) so that a connection from
 * a --proxy-protocol-from source is only opened once its header has been
 * read, with the client address the header names. Until then the socket has
 * no `data` (the echo handlers treat it as not theirs) and its bytes gather
 * in a buffer no larger than the header can be. The header is never echoed;
 * bytes after it in the same chunk go to the echo handlers as the first data.
 * A missing, malformed or late header closes the connection, counted as
 * rejected (`proxy_protocol`). While it waits, a connection holds one slot of
 * the shared connection limit, so header-less floods stay bounded.
 */
import type { SocketHandler, TLSOptions } from "bun";
import { createCidrMatcher } from "../../cidr.ts";
import { createLimitedWarning } from "../../log-limit.ts";
import type { Connection, EchoSocket } from "../connection.ts";
import { type EchoContext, reject } from "../lifecycle.ts";
import type { ProxyResult } from "../stats.ts";
import type { HandshakeHandler } from "../tls.ts";
import { type ProxyMode, parseProxyHeader } from "./header.ts";
import { bridgeTls, type TlsBridge } from "./tls-bridge.ts";
import type { ProxyParse, ProxySource, ProxyVersion } from "./types.ts";
import { V1_MAX_LENGTH, V1_SIGNATURE } from "./v1.ts";
import { V2_FIXED_LENGTH, V2_SIGNATURE } from "./v2.ts";

export interface ProxyStageOptions {
  readonly mode: ProxyMode;
  /** On a TLS listener: the certificate in force now, and the handshake handler; TLS starts after the header. */
  readonly tls: { readonly options: () => TLSOptions; readonly handshake: HandshakeHandler } | null;
  /** Sources that must send a header; empty = all. */
  readonly from: readonly string[];
  readonly timeoutSeconds: number;
}

/** A connection whose header is not complete yet. */
interface Waiting {
  /** The bytes so far, in a buffer sized to the longest the header can be once known. */
  buf: Uint8Array;
  used: number;
  readonly timer: ReturnType<typeof setTimeout>;
}

export function createProxyHandlers(
  ctx: EchoContext,
  inner: SocketHandler<Connection>,
  options: ProxyStageOptions,
): SocketHandler<Connection> {
  const waiting = new Map<EchoSocket, Waiting>();
  /** TLS listener: raw sockets whose header was read, now carrying TLS (tls-bridge.ts). */
  const bridged = new Map<EchoSocket, TlsBridge>();
  const trusted = options.from.length > 0 ? createCidrMatcher(options.from) : null;
  const timeoutMs = options.timeoutSeconds * 1000;
  const headers = ctx.stats.proxyHeaders;
  const warn = createLimitedWarning(
    ctx.log,
    "connections closed: bad PROXY protocol header",
    "closed",
  );
  const innerOpen = inner.open as (socket: EchoSocket) => void;
  const innerData = inner.data as (socket: EchoSocket, chunk: Buffer) => void;
  const innerDrain = inner.drain as (socket: EchoSocket) => void;

  /** No longer waiting: the slot it held in the shared limit goes back before open counts it. */
  const settle = (socket: EchoSocket, w: Waiting): void => {
    clearTimeout(w.timer);
    waiting.delete(socket);
    ctx.limits.active--;
  };

  const refuse = (socket: EchoSocket, version: ProxyVersion, result: ProxyResult, why: string) => {
    headers[version][result]++;
    // Read before the close: a closed socket reports no address.
    const remote = `${socket.remoteAddress}:${socket.remotePort}`;
    reject(ctx, socket, "proxy_protocol");
    warn({ result, version, why, remote });
  };

  const accept = (socket: EchoSocket, parsed: ProxyParse & { kind: "header" }, rest: Buffer) => {
    headers[parsed.version][parsed.source === null ? "local" : "accepted"]++;
    serve(socket, parsed.source, rest);
  };

  /** Opens the connection for the echo handlers (over TLS on a TLS listener), `rest` its first data. */
  const serve = (socket: EchoSocket, source: ProxySource | null, rest: Buffer | null) => {
    const bridge =
      options.tls && bridgeTls(socket, options.tls.options(), inner, options.tls.handshake);
    const served = bridge === null ? socket : bridge.socket;
    ctx.proxied = source;
    try {
      innerOpen(served);
    } finally {
      ctx.proxied = null;
    }
    if (served.data === undefined) return; // rejected by a limit
    if (bridge !== null) {
      bridged.set(socket, bridge);
      if (rest !== null && rest.length > 0) bridge.data(rest);
    } else if (rest !== null && rest.length > 0) innerData(socket, rest);
  };

  const onTimeout = (socket: EchoSocket): void => {
    const w = waiting.get(socket);
    if (w === undefined) return;
    settle(socket, w);
    const seen = w.buf.subarray(0, w.used);
    refuse(socket, versionOf(seen), "timeout", `no complete header in ${options.timeoutSeconds} s`);
  };

  /** Adds `chunk` to what waits, then opens, refuses, or waits on. */
  const take = (socket: EchoSocket, w: Waiting, chunk: Buffer): void => {
    const before = w.used;
    const room = capacityFor(w.buf, w.used, chunk);
    if (room > w.buf.length) {
      const grown = new Uint8Array(room);
      grown.set(w.buf.subarray(0, w.used));
      w.buf = grown;
    }
    const n = Math.min(chunk.length, w.buf.length - w.used);
    w.buf.set(chunk.subarray(0, n), w.used);
    w.used += n;
    const parsed = parseProxyHeader(w.buf.subarray(0, w.used), options.mode);
    if (parsed.kind === "incomplete") return;
    settle(socket, w);
    if (parsed.kind === "invalid") {
      refuse(socket, parsed.version, "invalid", parsed.why);
      return;
    }
    // A header completed once the drain began: the drain would not end this one.
    if (ctx.draining) refuse(socket, parsed.version, "closed", "echod is shutting down");
    else accept(socket, parsed, chunk.subarray(parsed.length - before));
  };

  return {
    ...inner,
    open(socket) {
      if (trusted !== null && !trusted(socket.remoteAddress)) {
        headers.none.skipped++;
        serve(socket, null, null);
        return;
      }
      if (ctx.limits.active >= ctx.maxConnections) {
        reject(ctx, socket, ctx.limitReason);
        return;
      }
      const timer = setTimeout(onTimeout, timeoutMs, socket);
      waiting.set(socket, { buf: EMPTY, used: 0, timer });
      ctx.limits.active++;
    },

    data(socket, chunk) {
      if (socket.data !== undefined) {
        innerData(socket, chunk);
        return;
      }
      const w = waiting.get(socket);
      if (w !== undefined) take(socket, w, chunk);
      else bridged.get(socket)?.data(chunk);
    },

    drain(socket) {
      if (socket.data !== undefined) innerDrain(socket);
      else bridged.get(socket)?.drain();
    },

    end(socket) {
      const w = waiting.get(socket);
      if (w === undefined) {
        const bridge = bridged.get(socket);
        if (bridge !== undefined) bridge.end();
        else inner.end?.(socket);
        return;
      }
      settle(socket, w);
      const seen = w.buf.subarray(0, w.used);
      refuse(socket, versionOf(seen), "closed", "the peer closed before the header was complete");
    },

    close(socket, error) {
      const w = waiting.get(socket);
      if (w === undefined) {
        const bridge = bridged.get(socket);
        if (bridge === undefined) inner.close?.(socket, error);
        else {
          bridged.delete(socket);
          bridge.close();
        }
        return;
      }
      settle(socket, w);
      headers[versionOf(w.buf.subarray(0, w.used))].closed++;
      ctx.stats.rejected.proxy_protocol++;
    },
  } satisfies SocketHandler<Connection>;
}

const EMPTY = new Uint8Array(0);

/**
 * The size the waiting buffer needs for what it holds plus `chunk`: the
 * whole v2 header once its length field has arrived, else the longest v1.
 */
function capacityFor(buf: Uint8Array, used: number, chunk: Uint8Array): number {
  const first = (i: number): number =>
    i < used ? (buf[i] as number) : (chunk[i - used] as number);
  if (used + chunk.length < V2_FIXED_LENGTH || first(0) !== V2_SIGNATURE[0]) {
    return Math.max(buf.length, V1_MAX_LENGTH);
  }
  const length = V2_FIXED_LENGTH + ((first(14) << 8) | first(15));
  return Math.max(buf.length, length, V1_MAX_LENGTH);
}

/** Which header the bytes so far begin, for the metric. */
function versionOf(seen: Uint8Array): ProxyVersion {
  if (seen.length === 0) return "none";
  const parsed = parseProxyHeader(seen, "any");
  if (parsed.kind === "invalid") return parsed.version;
  return seen[0] === V1_SIGNATURE[0] ? "v1" : "v2";
}
