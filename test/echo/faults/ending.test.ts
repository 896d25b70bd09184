/**
 * The per-connection clock of the time-based faults (ending.ts): one timer
 * per open connection at most, and none left once connections close,
 * however they close. Timers are counted on the heap (bun:jsc), so a timer
 * left behind by a closed connection shows up.
 */
import { heapStats } from "bun:jsc";
import { describe, expect, test } from "bun:test";
import type net from "node:net";
import { startServer } from "../../helpers/echo-server.ts";
import { connect, waitFor } from "../../helpers/net-client.ts";

const HOUR = 3_600_000;
const BATCH = 100;
const ROUNDS = 20;

function liveTimers(): number {
  Bun.gc(true);
  return heapStats().objectTypeCounts.Timeout ?? 0;
}

/**
 * Opens BATCH connections, runs `ready` on each, waits until `armed` (the
 * server's timers are set), counts the live timers, then runs `close` on
 * all. Returns the count.
 */
async function churn(
  port: number,
  ready: (socket: net.Socket) => Promise<void>,
  armed: () => boolean,
  close: (socket: net.Socket) => void,
): Promise<number> {
  const sockets = await Promise.all(Array.from({ length: BATCH }, () => connect(port)));
  await Promise.all(sockets.map(ready));
  expect(await waitFor(armed)).toBe(true);
  const open = liveTimers();
  for (const s of sockets) close(s);
  return open;
}

const echoed = (s: net.Socket) =>
  new Promise<void>((resolve) => {
    s.once("data", () => resolve());
    s.write("x");
  });

describe("fault timers", () => {
  test("--limit-time and --slow-close: 2000 connections come and go, no timer stays", async () => {
    const server = startServer({ limitTime: HOUR, slowClose: HOUR });
    const before = liveTimers();
    let peak = 0;
    for (let round = 0; round < ROUNDS; round++) {
      // Half of them half-close first, so their end is held (a second timer use), then reset.
      const open = await churn(
        server.port,
        async (s) => {
          await echoed(s);
          if (round % 2 === 1) s.end();
        },
        () => server.stats.faults.slow_close === Math.floor((round + 1) / 2) * BATCH,
        (s) => s.resetAndDestroy(),
      );
      peak = Math.max(peak, open - before);
      expect(await waitFor(() => server.stats.active === 0)).toBe(true);
    }
    expect(peak).toBeGreaterThanOrEqual(BATCH);
    expect(liveTimers() - before).toBeLessThan(20);
    expect(server.stats.accepted).toBe(BATCH * ROUNDS);
    expect(server.stats.faults.slow_close).toBe((BATCH * ROUNDS) / 2);
    expect(server.stats.faults.limit_time).toBe(0);
  });

  test("--timeout: 2000 connections that sent a byte come and go, no timer stays", async () => {
    const server = startServer({ timeout: HOUR });
    const before = liveTimers();
    let peak = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const open = await churn(
        server.port,
        async (s) => {
          s.write("x");
        },
        () => server.stats.receivedBytes === (round + 1) * BATCH,
        // A reset: a FIN would not end it before the timeout (timeout.test.ts).
        (s) => s.resetAndDestroy(),
      );
      expect(await waitFor(() => server.stats.active === 0)).toBe(true);
      peak = Math.max(peak, open - before);
    }
    expect(server.stats.receivedBytes).toBe(BATCH * ROUNDS);
    expect(peak).toBeGreaterThan(0);
    expect(liveTimers() - before).toBeLessThan(20);
    expect(server.stats.faults.timeout).toBe(0);
  });
});
