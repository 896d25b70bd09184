/**
 * `GET /whoami` on the admin port: which echod answered, as JSON with the
 * fields a --banner can show (`listener` is `admin`; `remote` is the HTTP
 * client, `local` the admin listener's address).
 */
import type { Server } from "bun";
import { formatAddress } from "../address.ts";
import { whoamiFields } from "../identity/banner.ts";
import type { Identity } from "../identity/identity.ts";

export function whoamiResponse(
  request: Request,
  server: Server<undefined>,
  identity: Identity,
  host: string,
): Response {
  const peer = server.requestIP(request);
  const remote = peer === null ? "" : formatAddress(peer.address, peer.port);
  const local = formatAddress(host, server.port ?? 0);
  const body = JSON.stringify(whoamiFields(identity, "admin", remote, local));
  return new Response(`${body}\n`, {
    headers: { "content-type": "application/json", "cache-control": "no-store" },
  });
}
