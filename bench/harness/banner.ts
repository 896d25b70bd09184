/**
 * --banner-bytes N and --banner-line: a server that greets each connection
 * (echod --banner) sends bytes that are not echo. The engine skips them
 * before it checks anything, so every echoed byte is still verified.
 */
import type { Conn } from "./engine-conn.ts";

const LF = 10;

/**
 * What is left of `chunk` once the banner is skipped: null when nothing is
 * left yet, false when a --banner-line banner runs past its bound (counted
 * as a mismatch by the caller).
 */
export function skipBanner(c: Conn, chunk: Buffer): Buffer | null | false {
  if (c.skip > 0) {
    const n = Math.min(c.skip, chunk.length);
    c.skip -= n;
    return n === chunk.length ? null : chunk.subarray(n);
  }
  // A line of at most -skip bytes, LF included.
  const lf = chunk.indexOf(LF);
  const used = lf < 0 ? chunk.length : lf + 1;
  if (used > -c.skip || (lf < 0 && used === -c.skip)) return false;
  c.skip = lf < 0 ? c.skip + used : 0;
  return lf < 0 || used === chunk.length ? null : chunk.subarray(used);
}
