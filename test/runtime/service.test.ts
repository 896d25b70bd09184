/** What one process's listeners report, read the same way by single-process echod and by workers. */
import { expect, test } from "bun:test";
import type { EchoService } from "../../src/echo/listeners.ts";
import { createStats, createUdpStats } from "../../src/echo/stats.ts";
import { serviceAddresses, serviceListenerStats } from "../../src/runtime/service.ts";

const tcp = { kind: "tcp", name: "tcp", address: "127.0.0.1:7", stats: createStats(5) };
const unix = { kind: "unix", name: "unix", address: "/run/echod.sock", stats: createStats(5) };
const slow = { kind: "tcp", name: "slow", address: "127.0.0.1:8", stats: createStats(5) };
const udp = { address: "[::1]:7", stats: createUdpStats() };
const listeners = (withUdp: boolean) =>
  ({ servers: [tcp, unix, slow], udp: withUdp ? udp : null }) as unknown as Pick<
    EchoService,
    "servers" | "udp"
  >;

test("each listener's address is listed by name (a profile's too), UDP included when it is on", () => {
  expect(serviceAddresses(listeners(true))).toEqual({
    tcp: "127.0.0.1:7",
    unix: "/run/echod.sock",
    slow: "127.0.0.1:8",
    udp: "[::1]:7",
  });
  expect(serviceAddresses(listeners(false))).toEqual({
    tcp: "127.0.0.1:7",
    unix: "/run/echod.sock",
    slow: "127.0.0.1:8",
  });
});

test("the counters by listener are the listeners' own objects, read live", () => {
  const stats = serviceListenerStats(listeners(true));
  expect(stats.stream.tcp).toBe(tcp.stats);
  expect(stats.stream.slow).toBe(slow.stats);
  expect(stats.stream.unix).toBe(unix.stats);
  expect(stats.stream.tls).toBeUndefined();
  expect(stats.udp).toBe(udp.stats);
  expect(serviceListenerStats(listeners(false)).udp).toBeNull();
});
