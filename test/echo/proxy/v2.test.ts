/** PROXY protocol v2 headers, byte for byte as HAProxy's proxy-protocol.txt section 2.2 lays them out. */
import { describe, expect, test } from "bun:test";
import { parseV2 } from "../../../src/echo/proxy/v2.ts";
import { v2Header as header } from "../../helpers/proxy-header.ts";

const INET_BODY = [172, 19, 0, 1, 172, 19, 0, 3, 0xa6, 0x52, 0x00, 0x50];

describe("v2 headers", () => {
  test("the bytes haproxy sends for TCP over IPv4 (send-proxy-v2), then data", () => {
    const hex = "0d0a0d0a000d0a515549540a2111000cac130001ac130003a6520050474554202f";
    const parsed = parseV2(Buffer.from(hex, "hex"));
    expect(parsed).toEqual({
      kind: "header",
      version: "v2",
      length: 28,
      source: { address: "172.19.0.1", port: 42578 },
    });
  });

  test("TCP over IPv6", () => {
    const src = [0x20, 0x01, 0x0d, 0xb8, ...new Array(11).fill(0), 1];
    const dst = [...new Array(15).fill(0), 1];
    const parsed = parseV2(header(0x21, 0x21, [...src, ...dst, 0x30, 0x39, 0x1b, 0x5f]));
    expect(parsed).toEqual({
      kind: "header",
      version: "v2",
      length: 52,
      source: { address: "2001:db8::1", port: 12345 },
    });
  });

  test("TLVs after the addresses are skipped, and count in the length", () => {
    const tlvs = [0x01, 0x00, 0x02, 0x68, 0x32, 0x04, 0x00, 0x00, 0x05, 0x00, 0x03, 1, 2, 3];
    expect(parseV2(header(0x21, 0x11, [...INET_BODY, ...tlvs]))).toMatchObject({
      kind: "header",
      length: 16 + 12 + tlvs.length,
      source: { address: "172.19.0.1" },
    });
  });

  test("the longest header, 16 + 65,535 bytes of one TLV, is read", () => {
    const tlv = [0xee, 0xff, 0xf0, ...new Array(65535 - 12 - 3).fill(7)];
    expect(parseV2(header(0x21, 0x11, [...INET_BODY, ...tlv]))).toMatchObject({
      kind: "header",
      length: 16 + 65535,
    });
  });

  test("LOCAL (a balancer's health check), UNSPEC and UNIX use the socket's own address", () => {
    expect(parseV2(header(0x20, 0x00, []))).toEqual({
      kind: "header",
      version: "v2",
      length: 16,
      source: null,
    });
    expect(parseV2(header(0x20, 0x11, INET_BODY))).toEqual({
      kind: "header",
      version: "v2",
      length: 28,
      source: null,
    });
    expect(parseV2(header(0x21, 0x00, [9, 9, 9]))).toEqual({
      kind: "header",
      version: "v2",
      length: 19,
      source: null,
    });
    expect(parseV2(header(0x21, 0x31, new Array(216).fill(0x61)))).toMatchObject({
      source: null,
      length: 232,
    });
  });

  test("cut short anywhere, it waits for more", () => {
    const whole = header(0x21, 0x11, INET_BODY);
    for (let n = 12; n < whole.length; n++)
      expect(parseV2(whole.subarray(0, n))).toEqual({ kind: "incomplete" });
  });

  const malformed: [string, Uint8Array][] = [
    ["version 1 in the version nibble", header(0x11, 0x11, INET_BODY)],
    ["version 3", header(0x31, 0x11, INET_BODY)],
    ["command 2", header(0x22, 0x11, INET_BODY)],
    ["family 4", header(0x21, 0x41, INET_BODY)],
    ["transport 3", header(0x21, 0x13, INET_BODY)],
    ["a datagram on a stream listener", header(0x21, 0x12, INET_BODY)],
    ["an IPv4 body shorter than 12 bytes", header(0x21, 0x11, INET_BODY.slice(0, 11))],
    ["an IPv6 body shorter than 36 bytes", header(0x21, 0x21, new Array(35).fill(0))],
    ["a TLV cut short", header(0x21, 0x11, [...INET_BODY, 0x01, 0x00])],
    ["a TLV running past the header", header(0x21, 0x11, [...INET_BODY, 0x01, 0x00, 0x09, 1, 2])],
  ];
  for (const [what, bytes] of malformed) {
    test(`refused: ${what}`, () => {
      expect(parseV2(bytes)).toMatchObject({ kind: "invalid", version: "v2" });
    });
  }
});
