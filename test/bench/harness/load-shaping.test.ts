/**
 * Load shaping end to end: --connect-rate seen in the spread of the times
 * the server accepted the connections, --channel-lifetime in the number of
 * connections it accepted, and --rate in stages in the per-second counts;
 * against echod and against a node:net echo server (the baseline).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { resolveConfig } from "../../../src/config.ts";
import { type EchoServer, startEchoServer } from "../../../src/echo/server.ts";
import { expectSchema, jsonLine, runBench, startServer } from "../helpers.ts";

let echod: EchoServer;

beforeAll(() => {
  echod = startEchoServer(resolveConfig({ port: 0, host: "127.0.0.1", metrics: false }));
});

afterAll(async () => {
  await echod.stop(1);
});

/** An echo server that notes when it accepted each connection. */
async function timedServer() {
  const accepted: number[] = [];
  const server = await startServer(
    (socket, chunk) => socket.write(chunk),
    () => accepted.push(performance.now()),
  );
  return { server, accepted };
}

describe("--connect-rate", () => {
  test("20 connections at 20/s reach the server over about a second, not in one burst", async () => {
    const { server, accepted } = await timedServer();
    try {
      const args = [`127.0.0.1:${server.port}`, "-c", "20", "-d", "1.5", "-j"];
      const paced = await runBench([...args, "--connect-rate", "20"]);
      expect(paced.code).toBe(0);
      const r = jsonLine(paced);
      expectSchema(r);
      expect(r.connectRate).toBe(20);
      expect(accepted).toHaveLength(20);
      const spread = (accepted.at(-1) as number) - (accepted[0] as number);
      // 19 gaps of 50 ms: 950 ms, give or take a busy machine.
      expect(spread).toBeGreaterThan(850);
      expect(spread).toBeLessThan(1400);
      // Evenly: the middle connection came about half-way.
      const middle = (accepted[10] as number) - (accepted[0] as number);
      expect(middle).toBeGreaterThan(400);
      expect(middle).toBeLessThan(700);

      accepted.length = 0;
      const burst = await runBench(args);
      expect(burst.code).toBe(0);
      expect(accepted).toHaveLength(20);
      expect((accepted.at(-1) as number) - (accepted[0] as number)).toBeLessThan(300);
    } finally {
      await server.close();
    }
  });

  test("against echod: half-way through the ramp about half the connections are open", async () => {
    const before = echod.stats.accepted;
    const run = runBench([
      `127.0.0.1:${echod.port}`,
      "-c",
      "20",
      "-d",
      "1.5",
      "--connect-rate",
      "20",
      "-j",
    ]);
    const seen: number[] = [];
    const started = performance.now();
    // The child needs a moment to start: sample from the first accepted connection on.
    while (echod.stats.accepted === before && performance.now() - started < 5000)
      await Bun.sleep(5);
    await Bun.sleep(500);
    seen.push(echod.stats.accepted - before);
    const result = await run;
    expect(result.code).toBe(0);
    expect(echod.stats.accepted - before).toBe(20);
    expect(seen[0]).toBeGreaterThanOrEqual(6);
    expect(seen[0]).toBeLessThanOrEqual(15);
  });
});

describe("--channel-lifetime", () => {
  test("each connection closes and reconnects after that long, with every echo in (node:net server)", async () => {
    const { server, accepted } = await timedServer();
    try {
      const run = await runBench(
        [`127.0.0.1:${server.port}`, "-c", "2", "-p", "4", "-d", "2"].concat([
          "--channel-lifetime",
          "0.5",
          "-j",
        ]),
      );
      expect(run.code).toBe(0);
      const r = jsonLine(run);
      expect(r.errorsTotal).toBe(0);
      expect(r.channelLifetime).toBe(0.5);
      // 2 s / 0.5 s = 4 lifetimes for each of 2 connections; the check runs every 250 ms.
      expect(accepted.length).toBeGreaterThanOrEqual(6);
      expect(accepted.length).toBeLessThanOrEqual(10);
    } finally {
      await server.close();
    }
  });

  test("against echod, in open loop", async () => {
    const before = echod.stats.accepted;
    const run = await runBench(
      [`127.0.0.1:${echod.port}`, "-c", "2", "-R", "400", "-d", "2"].concat([
        "--channel-lifetime",
        "0.5",
        "-j",
      ]),
    );
    expect(run.code).toBe(0);
    expect(jsonLine(run).errorsTotal).toBe(0);
    const opened = echod.stats.accepted - before;
    expect(opened).toBeGreaterThanOrEqual(6);
    expect(opened).toBeLessThanOrEqual(10);
  });
});

describe("--rate in stages", () => {
  test.each(["echod", "node baseline"])(
    "against %s: each second runs at its stage's rate",
    async (name) => {
      const baseline = name === "echod" ? null : await timedServer();
      const port = baseline ? baseline.server.port : echod.port;
      try {
        const run = await runBench([`127.0.0.1:${port}`, "-c", "4", "-R", "500:1s,2000:1s", "-j"]);
        expect(run.code).toBe(0);
        const r = jsonLine(run);
        expectSchema(r);
        expect(r.mode).toBe("rate");
        expect(r.stages).toEqual([
          { rate: 500, seconds: 1 },
          { rate: 2000, seconds: 1 },
        ]);
        expect(r.rate).toBe(2000);
        expect(r.errorsTotal).toBe(0);
        expect(r.perSecond.messages).toHaveLength(2);
        const [first = 0, second = 0] = r.perSecond.messages;
        expect(first).toBeGreaterThan(400);
        expect(first).toBeLessThanOrEqual(505);
        expect(second).toBeGreaterThan(1600);
        expect(second).toBeLessThanOrEqual(2005);
        expect(run.stderr).toContain(
          "open loop in stages 500 msg/s for 1 s, then 2,000 msg/s for 1 s",
        );
      } finally {
        await baseline?.server.close();
      }
    },
  );

  test("a malformed stage, or stages with --duration, are usage errors", async () => {
    const bad = await runBench(["127.0.0.1:9", "-R", "500:1s,fast:2s"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('stage "fast:2s" must be RATE:DURATION');
    const both = await runBench(["127.0.0.1:9", "-R", "500:1s,600:1s", "-d", "5"]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("give no --duration or --amount with them");
    const churn = await runBench(["127.0.0.1:9", "--churn", "--channel-lifetime", "1"]);
    expect(churn.code).toBe(2);
  });
});
