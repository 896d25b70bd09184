/**
 * Which header the first bytes hold, by mode, and properties over random
 * input: any bytes give an answer without throwing, a valid header split
 * anywhere parses the same as whole, and garbage is refused on its first byte.
 */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { parseProxyHeader } from "../../../src/echo/proxy/header.ts";
import { V2_SIGNATURE } from "../../../src/echo/proxy/v2.ts";

const V1 = Buffer.from("PROXY TCP4 10.0.0.1 10.0.0.2 1000 7007\r\n", "latin1");
const V2 = Uint8Array.from([
  ...V2_SIGNATURE,
  0x21,
  0x11,
  0,
  12,
  10,
  0,
  0,
  1,
  10,
  0,
  0,
  2,
  3,
  232,
  27,
  95,
]);

describe("parseProxyHeader", () => {
  test("any takes both versions; v1 and v2 each refuse the other", () => {
    expect(parseProxyHeader(V1, "any")).toMatchObject({ kind: "header", version: "v1" });
    expect(parseProxyHeader(V2, "any")).toMatchObject({ kind: "header", version: "v2" });
    expect(parseProxyHeader(V1, "v2")).toMatchObject({ kind: "invalid", version: "v1" });
    expect(parseProxyHeader(V2, "v1")).toMatchObject({ kind: "invalid", version: "v2" });
  });

  test("garbage is refused at its first byte; a prefix of a signature waits", () => {
    expect(parseProxyHeader(Buffer.from("G"), "any")).toMatchObject({
      kind: "invalid",
      version: "none",
    });
    expect(parseProxyHeader(Buffer.from("\x16\x03\x01"), "any")).toMatchObject({ kind: "invalid" });
    expect(parseProxyHeader(Buffer.from("PROX"), "any")).toEqual({ kind: "incomplete" });
    expect(parseProxyHeader(V2.subarray(0, 5), "any")).toEqual({ kind: "incomplete" });
    expect(parseProxyHeader(Buffer.from("PROXZ"), "any")).toMatchObject({
      kind: "invalid",
      version: "none",
    });
  });

  test("property: any bytes get an answer, and a header is never longer than the bytes", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.constantFrom("v1", "v2", "any" as const),
        (bytes, mode) => {
          const parsed = parseProxyHeader(bytes, mode);
          if (parsed.kind === "header") expect(parsed.length).toBeLessThanOrEqual(bytes.length);
        },
      ),
      { numRuns: 5000 },
    );
  });

  test("property: random bytes behind a signature never throw and stay in bounds", () => {
    const behind = (sig: Uint8Array) =>
      fc.uint8Array({ maxLength: 200 }).map((b) => Uint8Array.from([...sig, ...b]));
    fc.assert(
      fc.property(fc.oneof(behind(V2_SIGNATURE), behind(Buffer.from("PROXY "))), (bytes) => {
        const parsed = parseProxyHeader(bytes, "any");
        if (parsed.kind === "header") {
          expect(parsed.length).toBeLessThanOrEqual(bytes[0] === 0x50 ? 107 : 16 + 65535);
          expect(parsed.length).toBeLessThanOrEqual(bytes.length);
        }
      }),
      { numRuns: 5000 },
    );
  });

  test("property: a valid header with data behind it parses to the same result at every cut", () => {
    fc.assert(
      fc.property(fc.constantFrom(V1, V2), fc.uint8Array({ maxLength: 64 }), (head, tail) => {
        const whole = Uint8Array.from([...head, ...tail]);
        const full = parseProxyHeader(whole, "any");
        expect(full).toMatchObject({ kind: "header", length: head.length });
        for (let cut = 1; cut < head.length; cut++) {
          expect(parseProxyHeader(whole.subarray(0, cut), "any")).toEqual({ kind: "incomplete" });
        }
      }),
      { numRuns: 300 },
    );
  });
});
