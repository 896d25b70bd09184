/**
 * `parseProxyHeader(bytes, mode)`: which PROXY protocol header the first
 * bytes of a connection hold, if any, as far as they go. Bounded: it looks
 * at no more than 107 bytes for v1 and 16 + 65,535 for v2, and says
 * `invalid` as soon as the bytes can be neither signature, so garbage is
 * refused on its first byte.
 */
import type { ProxyParse } from "./types.ts";
import { parseV1, V1_SIGNATURE } from "./v1.ts";
import { parseV2, V2_SIGNATURE } from "./v2.ts";

/** Which headers a listener takes (--proxy-protocol, when not off). */
export type ProxyMode = "v1" | "v2" | "any";

/** Whether `buf` starts like `signature`, as far as either goes. */
function startsLike(buf: Uint8Array, signature: Uint8Array): boolean {
  const n = Math.min(buf.length, signature.length);
  for (let i = 0; i < n; i++) if (buf[i] !== signature[i]) return false;
  return true;
}

export function parseProxyHeader(buf: Uint8Array, mode: ProxyMode): ProxyParse {
  const v1 = startsLike(buf, V1_SIGNATURE);
  const v2 = startsLike(buf, V2_SIGNATURE);
  if (!v1 && !v2) return { kind: "invalid", version: "none", why: "no PROXY protocol signature" };
  if (v1 && buf.length >= V1_SIGNATURE.length) {
    if (mode === "v2")
      return { kind: "invalid", version: "v1", why: "a v1 header, but v2 is expected" };
    return parseV1(buf);
  }
  if (v2 && buf.length >= V2_SIGNATURE.length) {
    if (mode === "v1")
      return { kind: "invalid", version: "v2", why: "a v2 header, but v1 is expected" };
    return parseV2(buf);
  }
  return { kind: "incomplete" };
}
