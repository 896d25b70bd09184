/**
 * Connection flood past --max-connections 50: 50 established clients
 * ping-pong while 1,000 extra connections arrive in batches of 100. Each
 * extra one must get echod's FIN quickly (connect to FIN under a second at
 * the 99th percentile, a bound the issue sets; typically about a
 * millisecond), and the established ones must keep echoing correctly. Their
 * round-trip latency is measured before and during the flood and reported.
 */
import { expect, test } from "bun:test";
import type net from "node:net";
import { connect, exactReader } from "../helpers/net-client.ts";
import { killedAfterEach, LOOPBACK_WITH_ADMIN, spawnEchod } from "../helpers/spawn-echod.ts";
import { fmt, metrics, percentile, total } from "./tools.ts";

const LIMIT = 50;
const EXTRA = 1000;
const BATCH = 100;

const running = killedAfterEach();

interface PingPong {
  readonly rtts: { at: number; ms: number }[];
  errors: number;
  stop(): Promise<void>;
}

/** Sends a 64-byte message every 10 ms and waits for it to come back exactly. */
function pingPong(socket: net.Socket, id: number): PingPong {
  const state: PingPong = { rtts: [], errors: 0, stop: async () => {} };
  const reader = exactReader(socket);
  let running = true;
  const loop = (async () => {
    for (let n = 0; running && !socket.destroyed; n++) {
      const message = Buffer.from(`${id}:${n}:`.padEnd(64, "."));
      const sent = performance.now();
      socket.write(message);
      const echoed = await reader.read(message.length);
      if (echoed === null) {
        if (running) state.errors++;
        return;
      }
      if (!echoed.equals(message)) state.errors++;
      state.rtts.push({ at: sent, ms: performance.now() - sent });
      await Bun.sleep(10);
    }
  })();
  state.stop = async () => {
    running = false;
    await loop;
  };
  return state;
}

/** Opens a connection and resolves with the milliseconds until echod's FIN (or -1 if it echoed instead). */
async function timeToFin(port: number): Promise<number> {
  const started = performance.now();
  const socket = await connect(port);
  socket.on("error", () => {});
  return new Promise((resolve) => {
    socket.once("data", () => resolve(-1));
    socket.once("end", () => {
      resolve(performance.now() - started);
      socket.destroy();
    });
  });
}

test(`with --max-connections ${LIMIT}, ${EXTRA} extra connections get a FIN quickly while ${LIMIT} established clients keep echoing`, async () => {
  const echod = await spawnEchod([...LOOPBACK_WITH_ADMIN, "--max-connections", String(LIMIT)]);
  running.push(echod);
  const sockets = await Promise.all(Array.from({ length: LIMIT }, () => connect(echod.port)));
  const players = sockets.map((s, i) => pingPong(s, i));
  await Bun.sleep(1000);

  const floodStart = performance.now();
  const fins: number[] = [];
  for (let i = 0; i < EXTRA; i += BATCH) {
    fins.push(...(await Promise.all(Array.from({ length: BATCH }, () => timeToFin(echod.port)))));
  }
  const floodEnd = performance.now();
  await Bun.sleep(200);
  await Promise.all(players.map((p) => p.stop()));
  for (const s of sockets) s.destroy();

  const rtts = players.flatMap((p) => p.rtts);
  const before = rtts.filter((r) => r.at < floodStart).map((r) => r.ms);
  const during = rtts.filter((r) => r.at >= floodStart && r.at < floodEnd).map((r) => r.ms);
  const m = await metrics(echod.metricsPort as number);
  console.log(
    `connection flood: ${EXTRA} extra in ${(floodEnd - floodStart).toFixed(0)} ms; connect to FIN p50 ${fmt(percentile(fins, 0.5))}, ` +
      `p99 ${fmt(percentile(fins, 0.99))}, max ${fmt(percentile(fins, 1))}; established round trip p50/p99 ` +
      `${fmt(percentile(before, 0.5))}/${fmt(percentile(before, 0.99))} before (${before.length}), ` +
      `${fmt(percentile(during, 0.5))}/${fmt(percentile(during, 0.99))} during (${during.length})`,
  );
  expect(fins.filter((ms) => ms < 0).length).toBe(0); // none was served
  expect(percentile(fins, 0.99)).toBeLessThan(1000);
  expect(total(m, "echod_connections_rejected_total", { reason: "max_connections" })).toBe(EXTRA);
  expect(total(m, "echod_connections_accepted_total")).toBe(LIMIT);
  expect(players.reduce((n, p) => n + p.errors, 0)).toBe(0);
  // Every established client kept being served during the flood.
  for (const p of players) {
    expect(p.rtts.filter((r) => r.at >= floodStart && r.at < floodEnd).length).toBeGreaterThan(0);
  }
}, 60_000);
