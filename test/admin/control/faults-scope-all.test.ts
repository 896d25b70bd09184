/**
 * A change with `"scope": "all"` under load: 20 clients stream numbered
 * chunks (one in flight each, so every chunk's round trip is its own). A
 * delay set while they run shows on every chunk sent after the answer,
 * nothing is lost or reordered, and the byte counters balance exactly.
 */
import { expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { api } from "../../helpers/control.ts";
import { connect, exactReader } from "../../helpers/net-client.ts";
import { parseSamples, sample, scrape } from "../../helpers/prom-text.ts";
import { LOOPBACK_WITH_ADMIN, spawnKilledAfterEach } from "../../helpers/spawn-echod.ts";

const spawnEchod = spawnKilledAfterEach();
const CLIENTS = 20;
const CHUNK = 1000;
const DELAY_MS = 300;

interface Round {
  readonly afterChange: boolean;
  readonly ms: number;
}

test("scope all reaches open connections from their next chunk, losing and reordering nothing", async () => {
  const echod = await spawnEchod([...LOOPBACK_WITH_ADMIN, "--control"]);
  const admin = echod.metricsPort as number;
  let changed = false;
  let stop = false;
  const sentHash = Array.from({ length: CLIENTS }, () => createHash("sha256"));
  const gotHash = Array.from({ length: CLIENTS }, () => createHash("sha256"));
  const rounds: Round[][] = Array.from({ length: CLIENTS }, () => []);
  let sentBytes = 0;

  const client = async (id: number) => {
    const socket = await connect(echod.port);
    const reader = exactReader(socket);
    // Four chunks after the change at least, and at most 20,000 in all (bounded).
    for (let i = 0; i < 20_000; i++) {
      const mine = rounds[id] as Round[];
      if (stop && mine.filter((r) => r.afterChange).length >= 4) break;
      const chunk = Buffer.alloc(CHUNK, `${id}:${i};`);
      const afterChange = changed;
      const started = performance.now();
      socket.write(chunk);
      sentHash[id]?.update(chunk);
      sentBytes += CHUNK;
      const back = await reader.read(CHUNK);
      if (back === null) throw new Error(`client ${id} lost its connection`);
      gotHash[id]?.update(back);
      mine.push({ afterChange, ms: performance.now() - started });
    }
    socket.end();
    socket.destroy();
  };

  const running = Array.from({ length: CLIENTS }, (_, id) => client(id));
  // The change comes once every client has had a few echoes without it (at most 10 s).
  for (const until = performance.now() + 10_000; performance.now() < until; ) {
    if (rounds.every((r) => r.length > 10)) break;
    await Bun.sleep(5);
  }
  const answer = await api(admin, "PATCH", "/faults", {
    scope: "all",
    faults: { delay: DELAY_MS },
  });
  expect(answer.status).toBe(200);
  changed = true;
  stop = true;
  await Promise.all(running);

  for (let id = 0; id < CLIENTS; id++) {
    expect(gotHash[id]?.digest("hex")).toBe(sentHash[id]?.digest("hex") as string);
    const mine = rounds[id] as Round[];
    const before = mine.filter((r) => !r.afterChange).map((r) => r.ms);
    const after = mine.filter((r) => r.afterChange).map((r) => r.ms);
    expect(before.length).toBeGreaterThan(5);
    expect(after.length).toBeGreaterThanOrEqual(4);
    // Every chunk sent after the answer waited the delay: due times round up, never early.
    expect(Math.min(...after)).toBeGreaterThanOrEqual(DELAY_MS - 1);
    // Before it, the median echo took a fraction of the delay.
    before.sort((a, b) => a - b);
    expect(before[Math.floor(before.length / 2)] as number).toBeLessThan(DELAY_MS / 3);
  }

  // The counters balance exactly once every connection has closed.
  let samples = new Map<string, number>();
  for (let i = 0; i < 100; i++) {
    samples = parseSamples(await (await scrape(admin)).text());
    if (sample(samples, 'echod_connections_active{listener="tcp"}') === 0) break;
    await Bun.sleep(50);
  }
  expect(sample(samples, 'echod_connections_active{listener="tcp"}')).toBe(0);
  expect(sample(samples, 'echod_received_bytes_total{listener="tcp"}')).toBe(sentBytes);
  expect(sample(samples, 'echod_sent_bytes_total{listener="tcp"}')).toBe(sentBytes);
  expect(sample(samples, 'echod_discarded_bytes_total{listener="tcp"}')).toBe(0);
  expect(sample(samples, 'echod_buffered_bytes{listener="tcp"}')).toBe(0);
  const delayed = rounds.flat().filter((r) => r.afterChange).length;
  // One chunk in flight per client: each delayed chunk is at least one delayed read.
  expect(
    sample(samples, 'echod_faults_injected_total{listener="tcp",type="delay"}'),
  ).toBeGreaterThanOrEqual(delayed);
});

test("lifting a delay with scope all keeps the held bytes ahead of the next chunk", async () => {
  const echod = await spawnEchod([...LOOPBACK_WITH_ADMIN, "--control", "--delay", "400"]);
  const admin = echod.metricsPort as number;
  const socket = await connect(echod.port);
  const reader = exactReader(socket);
  socket.write("first;");
  await Bun.sleep(50);
  const answer = await api(admin, "PATCH", "/faults", { scope: "all", faults: { delay: 0 } });
  expect(answer.status).toBe(200);
  const started = performance.now();
  socket.write("second;");
  // Without a delay stage the held "first;" leaves at once, still before "second;".
  expect((await reader.read(13))?.toString()).toBe("first;second;");
  expect(performance.now() - started).toBeLessThan(400);
  socket.destroy();
});

test("a connection opened before the first fault keeps none under scope new, and gets it under scope all", async () => {
  const echod = await spawnEchod([...LOOPBACK_WITH_ADMIN, "--control"]);
  const admin = echod.metricsPort as number;
  const old = await connect(echod.port);
  const oldReader = exactReader(old);
  const timed = async (socket: typeof old, reader: typeof oldReader, text: string) => {
    const started = performance.now();
    socket.write(text);
    expect((await reader.read(text.length))?.toString()).toBe(text);
    return performance.now() - started;
  };
  expect(await timed(old, oldReader, "a")).toBeLessThan(DELAY_MS);
  // The first fault moves the listener off the raw handlers, open connections included.
  const scopeNew = await api(admin, "PATCH", "/faults", { faults: { delay: DELAY_MS } });
  expect(scopeNew.status).toBe(200);
  expect(await timed(old, oldReader, "b")).toBeLessThan(DELAY_MS);
  const fresh = await connect(echod.port);
  expect(await timed(fresh, exactReader(fresh), "c")).toBeGreaterThanOrEqual(DELAY_MS - 1);
  const scopeAll = await api(admin, "PATCH", "/faults", { scope: "all", faults: {} });
  expect(scopeAll.status).toBe(200);
  expect(await timed(old, oldReader, "d")).toBeGreaterThanOrEqual(DELAY_MS - 1);
  old.destroy();
  fresh.destroy();
});
