/** What parsing the first bytes of a connection for a PROXY protocol header gives. */

import type { ProxyVersion } from "../stats.ts";

export type { ProxyVersion };

/** The client a header names; null means use the socket's own address (v2 LOCAL, UNSPEC, v1 UNKNOWN). */
export interface ProxySource {
  readonly address: string;
  readonly port: number;
}

export type ProxyParse =
  | { readonly kind: "incomplete" }
  | { readonly kind: "invalid"; readonly version: ProxyVersion; readonly why: string }
  | {
      readonly kind: "header";
      readonly version: "v1" | "v2";
      /** Bytes the header took; what follows is the client's data. */
      readonly length: number;
      readonly source: ProxySource | null;
    };

/** `client:port` for log lines, and `via balancer:port` when a PROXY header named the client. */
export function remoteForLog(
  socket: { readonly remoteAddress: string; readonly remotePort: number },
  proxied: ProxySource | null,
): string {
  const peer = `${socket.remoteAddress}:${socket.remotePort}`;
  return proxied === null ? peer : `${proxied.address}:${proxied.port} via ${peer}`;
}

/** The client's address: the one a PROXY header named, else the peer's ("" on a Unix socket, where Bun gives undefined). */
export function clientAddress(
  socket: { readonly remoteAddress: string },
  proxied: ProxySource | null,
): string {
  return proxied === null ? (socket.remoteAddress ?? "") : proxied.address;
}
