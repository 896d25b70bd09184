/**
 * --limit-time MS on a real listener: a connection echoes while it lives,
 * then gets echod's FIN MS after it opened (reason fault_limit_time), busy
 * or idle; and with --workers 2 every worker applies it.
 */
import { describe, expect, test } from "bun:test";
import type net from "node:net";
import { createLimitTimeStage } from "../../../src/echo/faults/limit-time.ts";
import type { Passage } from "../../../src/echo/faults/stage.ts";
import { createStats } from "../../../src/echo/stats.ts";
import { startServer } from "../../helpers/echo-server.ts";
import { connect, exactReader, waitFor } from "../../helpers/net-client.ts";
import { parseSamples, scrape } from "../../helpers/prom-text.ts";
import { LOOPBACK_WITH_ADMIN, spawnKilledAfterEach } from "../../helpers/spawn-echod.ts";
import { expectRefusedRun } from "../../helpers/usage.ts";

const spawnEchod = spawnKilledAfterEach();
const MS = 500;

/** Resolves at the server's FIN with the ms since `since`. */
function finAfter(socket: net.Socket, since: number): Promise<number> {
  socket.on("error", () => {});
  return new Promise((resolve) => socket.once("end", () => resolve(performance.now() - since)));
}

describe("--limit-time", () => {
  test("a busy connection echoes until MS after it opened, then gets the FIN", async () => {
    const server = startServer({ limitTime: MS });
    const openedAt = performance.now();
    const socket = await connect(server.port);
    const fin = finAfter(socket, openedAt);
    const reader = exactReader(socket);
    let echoed = 0;
    let finAt = 0;
    fin.then((ms) => {
      finAt = ms;
    });
    while (finAt === 0 && performance.now() - openedAt < MS + 2000) {
      socket.write("tick");
      // A tick sent as the limit passes is dropped: the FIN ends the wait for its echo.
      const echo = await Promise.race([reader.read(4), fin.then(() => null)]);
      if (echo?.toString() === "tick") echoed++;
      await Bun.sleep(20);
    }
    const ms = await fin;
    expect(echoed).toBeGreaterThan(5);
    expect(ms).toBeGreaterThanOrEqual(MS - 5);
    expect(ms).toBeLessThan(MS + 1500);
    socket.destroy();
    const stats = server.stats;
    expect(await waitFor(() => stats.closed.fault_limit_time === 1)).toBe(true);
    expect(stats.faults.limit_time).toBe(1);
    expect(stats.receivedBytes).toBe(stats.sentBytes + stats.discardedBytes + stats.bufferedBytes);
  });

  test("an idle connection is closed at the limit too", async () => {
    const server = startServer({ limitTime: MS });
    const openedAt = performance.now();
    const socket = await connect(server.port);
    const ms = await finAfter(socket, openedAt);
    expect(ms).toBeGreaterThanOrEqual(MS - 5);
    expect(ms).toBeLessThan(MS + 1500);
    socket.destroy();
    expect(await waitFor(() => server.stats.closed.fault_limit_time === 1)).toBe(true);
  });

  test("with --workers 2, each worker closes its connections at the limit", async () => {
    const echod = await spawnEchod([
      ...LOOPBACK_WITH_ADMIN,
      "--workers",
      "2",
      "--limit-time",
      "300",
      "--log-level",
      "debug",
    ]);
    const openedAt = performance.now();
    // 24 connections: the kernel spreads them over both workers (all on one: 2 in 2^24).
    const sockets = await Promise.all(Array.from({ length: 24 }, () => connect(echod.port)));
    const times = await Promise.all(sockets.map((s) => finAfter(s, openedAt)));
    for (const s of sockets) s.destroy();
    expect(Math.min(...times)).toBeGreaterThanOrEqual(295);
    expect(Math.max(...times)).toBeLessThan(2300);
    const key = 'echod_connections_closed_total{listener="tcp",reason="fault_limit_time"}';
    // The primary sums worker reports: scrape until both have reported their closes (at most 5 s).
    let samples = new Map<string, number>();
    for (let i = 0; i < 50 && samples.get(key) !== 24; i++) {
      if (i > 0) await Bun.sleep(100);
      samples = parseSamples(await (await scrape(echod.metricsPort as number)).text());
    }
    expect(samples.get(key)).toBe(24);
    expect(samples.get('echod_faults_injected_total{listener="tcp",type="limit_time"}')).toBe(24);
    const closedBy = new Set(
      echod.lines
        .filter((l) => l.msg === "connection closed" && l.reason === "fault_limit_time")
        .map((l) => l.worker),
    );
    expect([...closedBy].sort()).toEqual([0, 1]);
  });

  test("a bad value exits 2 with one line naming the flag", async () => {
    await expectRefusedRun(
      ["--limit-time", "1e3"],
      {},
      'echod: invalid --limit-time "1e3": must be a decimal integer from 0 to 2147483647, such as 250',
    );
  });
});

describe("the limit-time stage on its own", () => {
  test("the cut is due MS after open, counted once; a cut that came first is kept", () => {
    const stage = createLimitTimeStage(250);
    const stats = createStats(1);
    const state = stage.open(1000);
    expect(stage.cutAt?.(state)).toBe(1250);
    const p: Passage = { due: 0, cut: null };
    stage.expire?.(state, p, stats);
    expect({ cut: p.cut, counted: stats.faults.limit_time, at: stage.cutAt?.(state) }).toEqual({
      cut: "fault_limit_time",
      counted: 1,
      at: 0,
    });
    const other = stage.open(0);
    const q: Passage = { due: 0, cut: "message_too_large" };
    stage.expire?.(other, q, stats);
    expect(q.cut).toBe("message_too_large");
    expect(stats.faults.limit_time).toBe(1);
  });
});
