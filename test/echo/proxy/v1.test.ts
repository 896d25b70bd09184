/** PROXY protocol v1 headers, byte for byte as HAProxy's proxy-protocol.txt section 2.1 writes them. */
import { describe, expect, test } from "bun:test";
import { parseV1, V1_MAX_LENGTH } from "../../../src/echo/proxy/v1.ts";

const bytes = (text: string) => Buffer.from(text, "latin1");
const F = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff";

describe("v1 headers", () => {
  test("TCP4 gives the source address and port, and the header's length", () => {
    const header = "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n";
    expect(parseV1(bytes(`${header}GET / HTTP/1.1\r\n`))).toEqual({
      kind: "header",
      version: "v1",
      length: header.length,
      source: { address: "192.168.0.1", port: 56324 },
    });
  });

  test("TCP6 gives the source in its shortest form", () => {
    expect(parseV1(bytes("PROXY TCP6 2001:0db8::0001 ::1 1 65535\r\n"))).toMatchObject({
      kind: "header",
      source: { address: "2001:db8::1", port: 1 },
    });
  });

  test("the spec's worst cases fit: TCP6 at 104 bytes, UNKNOWN at 107", () => {
    const tcp6 = `PROXY TCP6 ${F} ${F} 65535 65535\r\n`;
    const unknown = `PROXY UNKNOWN ${F} ${F} 65535 65535\r\n`;
    expect([tcp6.length, unknown.length]).toEqual([104, V1_MAX_LENGTH]);
    expect(parseV1(bytes(tcp6))).toMatchObject({ kind: "header", length: 104 });
    expect(parseV1(bytes(unknown))).toEqual({
      kind: "header",
      version: "v1",
      length: 107,
      source: null,
    });
  });

  test("UNKNOWN alone means the socket's own address", () => {
    expect(parseV1(bytes("PROXY UNKNOWN\r\n"))).toEqual({
      kind: "header",
      version: "v1",
      length: 15,
      source: null,
    });
  });

  test("a header cut short waits for more, up to 107 bytes", () => {
    expect(parseV1(bytes("PROXY TCP4 192.168.0.1 192.168."))).toEqual({ kind: "incomplete" });
    expect(parseV1(bytes(`PROXY UNKNOWN ${"x".repeat(92)}`))).toEqual({ kind: "incomplete" });
    expect(parseV1(bytes(`PROXY UNKNOWN ${"x".repeat(93)}`))).toMatchObject({ kind: "invalid" });
  });

  const malformed: [string, string][] = [
    ["no CR before LF", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n"],
    ["an unknown protocol", "PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n"],
    ["a missing field", "PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n"],
    ["an extra field", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n"],
    ["two spaces", "PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n"],
    ["IPv6 under TCP4", "PROXY TCP4 ::1 ::1 1 2\r\n"],
    ["IPv4 under TCP6", "PROXY TCP6 1.2.3.4 5.6.7.8 1 2\r\n"],
    ["a bad destination", "PROXY TCP4 1.2.3.4 5.6.7 1 2\r\n"],
    ["a port past 65535", "PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n"],
    ["a port with a leading zero", "PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n"],
    ["a negative port", "PROXY TCP4 1.2.3.4 5.6.7.8 -1 2\r\n"],
    ["an octet past 255", "PROXY TCP4 1.2.3.256 5.6.7.8 1 2\r\n"],
    ["lower-case protocol", "PROXY tcp4 1.2.3.4 5.6.7.8 1 2\r\n"],
  ];
  for (const [what, text] of malformed) {
    test(`refused: ${what}`, () => {
      expect(parseV1(bytes(text))).toMatchObject({ kind: "invalid", version: "v1" });
    });
  }
});
