/** Each worker's share of the daemon-wide limits, and the listeners only worker 0 holds. */
import { expect, test } from "bun:test";
import fc from "fast-check";
import { resolveConfig } from "../../src/config.ts";
import { connectionShare, workerArgs, workerConfig } from "../../src/workers/worker-config.ts";

test("the connection limit splits over the workers, the remainder to the first ones", () => {
  expect([0, 1, 2].map((id) => connectionShare(10, 3, id))).toEqual([4, 3, 3]);
  expect([0, 1, 2, 3].map((id) => connectionShare(2, 4, id))).toEqual([1, 1, 0, 0]);
  expect(connectionShare(10_000, 1, 0)).toBe(10_000);
});

test("the shares always add up to the limit and differ by at most one", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 1_000_000 }),
      fc.integer({ min: 1, max: 64 }),
      (max, n) => {
        const shares = Array.from({ length: n }, (_, id) => connectionShare(max, n, id));
        expect(shares.reduce((a, b) => a + b, 0)).toBe(max);
        expect(Math.max(...shares) - Math.min(...shares)).toBeLessThanOrEqual(1);
      },
    ),
  );
});

test("a worker joins the ports worker 0 bound; only worker 0 holds the Unix socket and UDP", () => {
  const config = {
    ...resolveConfig(),
    port: 0,
    tlsPort: 0,
    udpPort: 0,
    unix: "/tmp/echod.sock",
    workers: 3,
    maxConnections: 10,
    maxConnectionsPerIp: 10,
  };
  const ports = { tcp: 7001, tls: 7002, udp: 7003 };
  const first = workerConfig(config, 0, ports);
  const second = workerConfig(config, 1, ports);
  expect([first.port, first.tlsPort, first.udpPort, first.unix]).toEqual([
    7001,
    7002,
    7003,
    "/tmp/echod.sock",
  ]);
  expect([second.port, second.tlsPort, second.udpPort, second.unix]).toEqual([
    7001,
    7002,
    null,
    null,
  ]);
  expect([first.maxConnections, second.maxConnections]).toEqual([4, 3]);
  // Per address the share is rounded up: the kernel spreads one address's connections too.
  expect([first.maxConnectionsPerIp, second.maxConnectionsPerIp]).toEqual([4, 4]);
});

test("before worker 0 has bound, the configured ports are used", () => {
  const config = { ...resolveConfig(), port: 7007, tlsPort: null, udpPort: 7009, workers: 2 };
  const first = workerConfig(config, 0, null);
  expect([first.port, first.tlsPort, first.udpPort]).toEqual([7007, null, 7009]);
  expect(workerConfig(config, 1, null).udpPort).toBeNull();
});

test("each worker takes its share of --accept-rate and its burst, rounded up", () => {
  const config = { ...resolveConfig({ acceptRate: "100:50" }), workers: 3 };
  expect(workerConfig(config, 0, null).acceptRate).toEqual({ perSecond: 100 / 3, burst: 17 });
  expect(workerConfig(config, 2, null).acceptRate).toEqual({ perSecond: 100 / 3, burst: 17 });
  expect(
    workerConfig({ ...config, acceptRate: { perSecond: 1, burst: 1 } }, 1, null).acceptRate,
  ).toEqual({
    perSecond: 1 / 3,
    burst: 1,
  });
  expect(workerConfig({ ...config, acceptRate: null }, 1, null).acceptRate).toBeNull();
});

test("profile ports follow worker 0's; the control token never reaches a worker's command line", () => {
  const config = resolveConfig({
    control: true,
    controlToken: "s3cret",
    metricsHost: "0.0.0.0",
    profile: ["slow:0:delay=5", "fixed:7300"],
  });
  const ports = { tcp: 7007, tls: null, udp: null, profiles: { slow: 7301, fixed: 7300 } };
  const worker = workerConfig(config, 1, ports);
  expect(worker.profile.map((p) => [p.name, p.port])).toEqual([
    ["slow", 7301],
    ["fixed", 7300],
  ]);
  expect(worker.controlToken).toBeNull();
  const args = workerArgs(config, 1, ports, { faults: {}, down: ["slow"] });
  expect(args.join(" ")).not.toContain("s3cret");
  expect(JSON.parse(args[2] as string)).toEqual({ faults: {}, down: ["slow"] });
});
