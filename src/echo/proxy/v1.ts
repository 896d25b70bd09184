/**
 * PROXY protocol version 1, the text header (HAProxy's proxy-protocol.txt,
 * section 2.1): `PROXY TCP4|TCP6|UNKNOWN SRC DST SPORT DPORT\r\n`, at most
 * 107 bytes with the CRLF. Pure: bytes in, a parse result out.
 */
import { formatIpv6, parseAddress } from "../../cidr.ts";
import type { ProxyParse } from "./types.ts";

/** The longest v1 header, CRLF included (spec section 2.1). */
export const V1_MAX_LENGTH = 107;

/** "PROXY " */
export const V1_SIGNATURE = Uint8Array.from([0x50, 0x52, 0x4f, 0x58, 0x59, 0x20]);

const PORT = /^(0|[1-9][0-9]{0,4})$/;

/** Parses a v1 header at the start of `buf` (which starts with the v1 signature so far). */
export function parseV1(buf: Uint8Array): ProxyParse {
  const limit = Math.min(buf.length, V1_MAX_LENGTH);
  let lf = -1;
  for (let i = 0; i < limit; i++) {
    if (buf[i] === 0x0a) {
      lf = i;
      break;
    }
  }
  if (lf < 0) {
    return buf.length >= V1_MAX_LENGTH
      ? invalid(`no CRLF within ${V1_MAX_LENGTH} bytes`)
      : { kind: "incomplete" };
  }
  if (lf === 0 || buf[lf - 1] !== 0x0d) return invalid("line does not end in CRLF");
  const line = Buffer.from(buf.buffer, buf.byteOffset, lf - 1).toString("latin1");
  const length = lf + 1;
  const fields = line.split(" ");
  const protocol = fields[1];
  if (protocol === "UNKNOWN") return { kind: "header", version: "v1", length, source: null };
  if (protocol !== "TCP4" && protocol !== "TCP6")
    return invalid("protocol is not TCP4, TCP6 or UNKNOWN");
  if (fields.length !== 6) return invalid("not 6 space-separated fields");
  const [, , src = "", dst = "", sport = "", dport = ""] = fields;
  const srcBytes = parseFamily(src, protocol);
  if (srcBytes === null || parseFamily(dst, protocol) === null) {
    return invalid(`an address is not ${protocol === "TCP4" ? "IPv4" : "IPv6"}`);
  }
  const port = parsePort(sport);
  if (port === null || parsePort(dport) === null) return invalid("a port is not 0 to 65535");
  const address = protocol === "TCP4" ? src : formatIpv6(srcBytes);
  return { kind: "header", version: "v1", length, source: { address, port } };
}

/** The 4 bytes of an IPv4 address for TCP4, the 16 of an IPv6 one for TCP6; null otherwise. */
function parseFamily(text: string, protocol: "TCP4" | "TCP6"): Uint8Array | null {
  if (protocol === "TCP4") {
    if (text.includes(":")) return null;
    return parseAddress(text);
  }
  if (!text.includes(":")) return null;
  const bytes = parseAddress(text);
  if (bytes === null) return null;
  if (bytes.length === 16) return bytes;
  // IPv4-mapped: parseAddress gave the IPv4 part; keep the IPv6 form the header used.
  const mapped = new Uint8Array(16);
  mapped[10] = 0xff;
  mapped[11] = 0xff;
  mapped.set(bytes, 12);
  return mapped;
}

function parsePort(text: string): number | null {
  if (!PORT.test(text)) return null;
  const n = Number(text);
  return n <= 65535 ? n : null;
}

function invalid(why: string): ProxyParse {
  return { kind: "invalid", version: "v1", why };
}
