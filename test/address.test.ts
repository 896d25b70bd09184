import { expect, test } from "bun:test";
import { formatAddress, formatHost } from "../src/address.ts";

test("an IPv4 host and a name are written host:port", () => {
  expect(formatAddress("127.0.0.1", 7)).toBe("127.0.0.1:7");
  expect(formatAddress("localhost", 9464)).toBe("localhost:9464");
  expect(formatAddress("0.0.0.0", 0)).toBe("0.0.0.0:0");
});

test("an IPv6 host goes in brackets", () => {
  expect(formatAddress("::1", 7)).toBe("[::1]:7");
  expect(formatAddress("::", 9464)).toBe("[::]:9464");
  expect(formatHost("fe80::1")).toBe("[fe80::1]");
  expect(formatHost("example.com")).toBe("example.com");
});
