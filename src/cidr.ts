/**
 * IP addresses and CIDR blocks, parsed once into bytes and matched without
 * allocating: the one module behind --allow, --deny and
 * --proxy-protocol-from. IPv4 is 4 bytes; an IPv4-mapped IPv6 address
 * (`::ffff:10.0.0.1`, how a dual-stack `::` listener reports IPv4 peers) is
 * read as the IPv4 address it carries, so `10.0.0.0/8` matches it too.
 */

/** A parsed block: the address bytes (4 or 16) and how many leading bits must match. */
export interface Cidr {
  readonly bytes: Uint8Array;
  readonly prefix: number;
}

/** Bytes of an IPv4 or IPv6 address (IPv4-mapped IPv6 as IPv4), or null when it is not one. */
export function parseAddress(text: string): Uint8Array | null {
  if (text.includes(":")) return parseIpv6(text);
  return parseIpv4(text);
}

function parseIpv4(text: string): Uint8Array | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  const bytes = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const part = parts[i] as string;
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return null;
    const n = Number(part);
    if (n > 255) return null;
    bytes[i] = n;
  }
  return bytes;
}

function parseIpv6(text: string): Uint8Array | null {
  // A zone (fe80::1%eth0) names an interface, not part of the address.
  const address = text.replace(/%[^%]+$/, "");
  const halves = address.split("::");
  if (halves.length > 2) return null;
  const words: number[][] = [];
  for (const half of halves) {
    const groups = half === "" ? [] : half.split(":");
    const out: number[] = [];
    for (let i = 0; i < groups.length; i++) {
      const group = groups[i] as string;
      if (i === groups.length - 1 && group.includes(".")) {
        const v4 = parseIpv4(group);
        if (v4 === null) return null;
        out.push(
          ((v4[0] as number) << 8) | (v4[1] as number),
          ((v4[2] as number) << 8) | (v4[3] as number),
        );
      } else if (/^[0-9a-fA-F]{1,4}$/.test(group)) {
        out.push(Number.parseInt(group, 16));
      } else {
        return null;
      }
    }
    words.push(out);
  }
  const head = words[0] as number[];
  const tail = words[1] ?? [];
  const filled = head.length + tail.length;
  if (halves.length === 1 ? filled !== 8 : filled > 7) return null;
  const all = [...head, ...new Array<number>(8 - filled).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  all.forEach((w, i) => {
    bytes[i * 2] = w >> 8;
    bytes[i * 2 + 1] = w & 0xff;
  });
  return isMappedIpv4(bytes) ? bytes.slice(12) : bytes;
}

function isMappedIpv4(bytes: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return false;
  return bytes[10] === 0xff && bytes[11] === 0xff;
}

/** `10.0.0.0/8`, `::1/128`, or a bare address (all its bits); null when malformed. */
export function parseCidr(text: string): Cidr | null {
  const slash = text.indexOf("/");
  const bytes = parseAddress(slash < 0 ? text : text.slice(0, slash));
  if (bytes === null) return null;
  const mapped = slash >= 0 && text.slice(0, slash).includes(":") && bytes.length === 4;
  const bits = bytes.length * 8;
  if (slash < 0) return { bytes, prefix: bits };
  const prefixText = text.slice(slash + 1);
  if (!/^(0|[1-9][0-9]{0,2})$/.test(prefixText)) return null;
  // A prefix on an IPv4-mapped block counts the 96 mapping bits too (::ffff:10.0.0.0/104).
  const prefix = Number(prefixText) - (mapped ? 96 : 0);
  if (prefix < 0 || prefix > bits) return null;
  return { bytes, prefix };
}

/** Whether `address` (bytes from parseAddress) lies in `cidr`. */
export function inCidr(cidr: Cidr, address: Uint8Array): boolean {
  if (cidr.bytes.length !== address.length) return false;
  let bits = cidr.prefix;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if (((cidr.bytes[i] as number) & mask) !== ((address[i] as number) & mask)) return false;
  }
  return true;
}

/** A list of blocks, matched in order; a text that is no address matches none. */
export function createCidrMatcher(blocks: readonly string[]): (address: string) => boolean {
  const cidrs = blocks.map((b) => {
    const cidr = parseCidr(b);
    if (cidr === null) throw new Error(`not a CIDR block: ${b}`);
    return cidr;
  });
  return (address) => {
    const bytes = parseAddress(address);
    if (bytes === null) return false;
    for (const cidr of cidrs) if (inCidr(cidr, bytes)) return true;
    return false;
  };
}

/** 16 address bytes in the shortest text form (RFC 5952): `2001:db8::1`, `::1`. */
export function formatIpv6(bytes: Uint8Array): string {
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2)
    words.push(((bytes[i] as number) << 8) | (bytes[i + 1] as number));
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (bestStart < 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLength).join(":")}`;
}
