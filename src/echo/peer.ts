/**
 * The addresses a banner shows for one connection. `clientAddress` is the
 * one place that says who the client is: the one a PROXY protocol header
 * named (the connection state's `proxied`), else the socket's peer.
 */
import { formatAddress } from "../address.ts";
import type { EchoSocket } from "./connection.ts";

/** `address:port` of the client (`[v6]:port`); `unix` on a Unix socket, whose peers have no address. */
export function clientAddress(socket: EchoSocket): string {
  const conn = socket.data;
  if (conn?.proxied) return formatAddress(conn.proxied.address, conn.proxied.port);
  const address = socket.remoteAddress;
  if (address === undefined || address === "") return "unix";
  return formatAddress(address, socket.remotePort);
}

/** `address:port` the client reached (`[v6]:port`); on a Unix socket, its path. */
export function localAddress(socket: EchoSocket, unixPath: string | null): string {
  if (unixPath !== null) return unixPath;
  return formatAddress(socket.localAddress, socket.localPort);
}
