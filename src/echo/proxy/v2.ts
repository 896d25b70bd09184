/**
 * PROXY protocol version 2, the binary header (HAProxy's
 * proxy-protocol.txt, section 2.2): a 12-byte signature, version and
 * command, family and transport, a 16-bit length, then the addresses and
 * TLVs. At most 16 + 65,535 bytes. TLVs are walked (each must fit) and
 * skipped; none is needed to echo. Pure: bytes in, a parse result out.
 */
import { formatIpv6 } from "../../cidr.ts";
import type { ProxyParse } from "./types.ts";

export const V2_SIGNATURE = Uint8Array.from([
  0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a,
]);

/** The fixed part: signature, version/command, family/transport, length. */
export const V2_FIXED_LENGTH = 16;

const LOCAL = 0x0;
const PROXY = 0x1;
const AF_UNSPEC = 0x0;
const AF_INET = 0x1;
const AF_INET6 = 0x2;
const AF_UNIX = 0x3;
const DGRAM = 0x2;

/** Address block sizes by family (section 2.2). */
const ADDRESS_LENGTH: Record<number, number> = { [AF_INET]: 12, [AF_INET6]: 36, [AF_UNIX]: 216 };

/** Parses a v2 header at the start of `buf` (which holds at least the 12-byte signature). */
export function parseV2(buf: Uint8Array): ProxyParse {
  if (buf.length < V2_FIXED_LENGTH) return { kind: "incomplete" };
  const verCmd = buf[12] as number;
  if (verCmd >> 4 !== 2) return invalid(`version ${verCmd >> 4} is not 2`);
  const command = verCmd & 0x0f;
  if (command !== LOCAL && command !== PROXY)
    return invalid(`command ${command} is not LOCAL or PROXY`);
  const famTransport = buf[13] as number;
  const family = famTransport >> 4;
  const transport = famTransport & 0x0f;
  if (family > AF_UNIX || transport > DGRAM) return invalid("unknown address family or transport");
  const bodyLength = ((buf[14] as number) << 8) | (buf[15] as number);
  const length = V2_FIXED_LENGTH + bodyLength;
  if (buf.length < length) return { kind: "incomplete" };
  // LOCAL (a health check of the balancer itself) carries no client: the body is skipped.
  if (command === LOCAL) return { kind: "header", version: "v2", length, source: null };
  if (family === AF_UNSPEC) return { kind: "header", version: "v2", length, source: null };
  if (transport === DGRAM) return invalid("a datagram header on a stream listener");
  const addressLength = ADDRESS_LENGTH[family] as number;
  if (bodyLength < addressLength) {
    return invalid(`length ${bodyLength} is shorter than the ${addressLength}-byte address block`);
  }
  const tlvError = checkTlvs(buf, V2_FIXED_LENGTH + addressLength, length);
  if (tlvError !== null) return invalid(tlvError);
  const at = V2_FIXED_LENGTH;
  if (family === AF_INET) {
    const address = `${buf[at]}.${buf[at + 1]}.${buf[at + 2]}.${buf[at + 3]}`;
    const port = ((buf[at + 8] as number) << 8) | (buf[at + 9] as number);
    return { kind: "header", version: "v2", length, source: { address, port } };
  }
  if (family === AF_INET6) {
    const address = formatIpv6(buf.subarray(at, at + 16));
    const port = ((buf[at + 32] as number) << 8) | (buf[at + 33] as number);
    return { kind: "header", version: "v2", length, source: { address, port } };
  }
  // AF_UNIX: a path, not an IP address; the socket's own address stands in.
  return { kind: "header", version: "v2", length, source: null };
}

/** Each TLV (type, 16-bit length, value) from `from` must end by `end`; null when they do. */
function checkTlvs(buf: Uint8Array, from: number, end: number): string | null {
  let at = from;
  while (at < end) {
    if (end - at < 3) return "a TLV is cut short";
    const valueLength = ((buf[at + 1] as number) << 8) | (buf[at + 2] as number);
    at += 3 + valueLength;
    if (at > end) return "a TLV runs past the header";
  }
  return null;
}

function invalid(why: string): ProxyParse {
  return { kind: "invalid", version: "v2", why };
}
