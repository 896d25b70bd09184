/** The CIDR module behind --allow, --deny and --proxy-protocol-from. */
import { describe, expect, test } from "bun:test";
import { createCidrMatcher, formatIpv6, parseAddress, parseCidr } from "../src/cidr.ts";

describe("addresses", () => {
  test("IPv4 and IPv6 parse to 4 and 16 bytes; IPv4-mapped IPv6 to the 4 it carries", () => {
    expect([...(parseAddress("10.1.2.3") ?? [])]).toEqual([10, 1, 2, 3]);
    expect(parseAddress("::1")?.length).toBe(16);
    expect([...(parseAddress("::ffff:127.0.0.1") ?? [])]).toEqual([127, 0, 0, 1]);
    expect([...(parseAddress("::ffff:7f00:1") ?? [])]).toEqual([127, 0, 0, 1]);
    expect(parseAddress("fe80::1%eth0")?.length).toBe(16);
  });

  test("malformed addresses are refused", () => {
    for (const bad of [
      "",
      "1.2.3",
      "1.2.3.4.5",
      "256.1.1.1",
      "01.2.3.4",
      "1.2.3.a",
      "::1::",
      "1:2:3:4:5:6:7:8:9",
      "12345::",
      "g::1",
      "1:2:3:4:5:6:7::8:9",
    ]) {
      expect({ bad, parsed: parseAddress(bad) }).toEqual({ bad, parsed: null });
    }
  });

  test("IPv6 prints in its shortest form", () => {
    expect(formatIpv6(parseAddress("2001:0db8:0000:0000:0000:0000:0000:0001") as Uint8Array)).toBe(
      "2001:db8::1",
    );
    expect(formatIpv6(parseAddress("::1") as Uint8Array)).toBe("::1");
    expect(formatIpv6(new Uint8Array(16))).toBe("::");
    expect(formatIpv6(parseAddress("1:0:0:2:0:0:0:3") as Uint8Array)).toBe("1:0:0:2::3");
    expect(formatIpv6(parseAddress("1:2:3:4:5:6:7:8") as Uint8Array)).toBe("1:2:3:4:5:6:7:8");
  });
});

describe("blocks", () => {
  test("prefixes match their leading bits, bare addresses all of them", () => {
    const match = createCidrMatcher(["10.0.0.0/8", "192.168.1.128/25", "2001:db8::/32", "::1"]);
    expect(match("10.255.0.1")).toBe(true);
    expect(match("11.0.0.1")).toBe(false);
    expect(match("192.168.1.200")).toBe(true);
    expect(match("192.168.1.127")).toBe(false);
    expect(match("2001:db8:ffff::1")).toBe(true);
    expect(match("2001:db9::1")).toBe(false);
    expect(match("::1")).toBe(true);
    expect(match("::2")).toBe(false);
    expect(match("::ffff:10.9.9.9")).toBe(true);
    expect(match("not an address")).toBe(false);
  });

  test("an IPv4-mapped block counts the 96 mapping bits; /0 matches every address of its family", () => {
    expect(parseCidr("::ffff:10.0.0.0/104")?.prefix).toBe(8);
    expect(createCidrMatcher(["0.0.0.0/0"])("203.0.113.9")).toBe(true);
    expect(createCidrMatcher(["0.0.0.0/0"])("::1")).toBe(false);
    expect(createCidrMatcher(["::/0"])("::1")).toBe(true);
  });

  test("bad blocks are refused", () => {
    for (const bad of [
      "10.0.0.0/33",
      "::/129",
      "10.0.0.0/",
      "10.0.0.0/08",
      "10.0.0.0/-1",
      "x/8",
      "::ffff:1.2.3.4/95",
    ]) {
      expect({ bad, parsed: parseCidr(bad) }).toEqual({ bad, parsed: null });
    }
  });
});
