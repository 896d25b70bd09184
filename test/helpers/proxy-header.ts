/**
 * A PROXY protocol v2 header built by hand, byte for byte as HAProxy's
 * proxy-protocol.txt section 2.2 lays it out: the signature, the
 * version/command byte, the family/transport byte, then the body with its
 * 16-bit length.
 */
import { V2_SIGNATURE } from "../../src/echo/proxy/v2.ts";

export function v2Header(verCmd: number, famTransport: number, body: number[]): Uint8Array {
  return Uint8Array.from([
    ...V2_SIGNATURE,
    verCmd,
    famTransport,
    body.length >> 8,
    body.length & 0xff,
    ...body,
  ]);
}
