/**
 * The reference load generator (bench/baselines/epoll-load.c, run through
 * bench/common/epoll-load.ts): against echod its counts agree with echod's
 * own counters, a fixed rate is kept, a server that changes one byte or sends
 * one too many is caught as a mismatch (exit 1), bad arguments exit 2.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { resolve } from "node:path";
import { buildLoadGenerator, runLoad } from "../../../bench/common/epoll-load.ts";
import { parseSamples, sumSamples } from "../../../bench/common/prom-text.ts";
import { LOOPBACK_WITH_ADMIN, spawnKilledAfterEach } from "../../helpers/spawn-echod.ts";
import { startServer } from "../helpers.ts";

const hasCc = Bun.which("cc") !== null;
const dir = mkdtempSync(resolve(tmpdir(), "echod-epoll-load-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const spawnEchod = spawnKilledAfterEach();

function binary(): string {
  const built = buildLoadGenerator(dir);
  if ("reason" in built) throw new Error(built.reason);
  return built.path;
}

async function echodCounters(admin: number): Promise<{ received: number; sent: number }> {
  const text = await (await fetch(`http://127.0.0.1:${admin}/metrics`)).text();
  const samples = parseSamples(text);
  return {
    received: sumSamples(samples, "echod_received_bytes_total"),
    sent: sumSamples(samples, "echod_sent_bytes_total"),
  };
}

describe.if(hasCc)("epoll-load", () => {
  test("against echod: every message verified, and its byte counts are echod's", async () => {
    const bin = binary();
    const echod = await spawnEchod(LOOPBACK_WITH_ADMIN);
    const shape = { connections: 20, size: 100, pipelining: 8 };
    const run = await runLoad(bin, {
      host: "127.0.0.1",
      port: echod.port,
      ...shape,
      duration: 1,
      warmup: 0.2,
    });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const r = run.result;
    if (!r) throw new Error("no summary line");
    expect(r).toMatchObject({ ...shape, rate: 0, mismatches: 0, errors: 0 });
    expect(r.messages).toBeGreaterThan(1000);
    expect(r.messagesPerSecond).toBeCloseTo(r.messages / r.duration, 0);
    expect(r.latency.p50).toBeGreaterThan(0);
    expect(r.latency.p50).toBeLessThanOrEqual(r.latency.p99);
    expect(r.latency.p99).toBeLessThanOrEqual(r.latency.max);
    // Every byte the kernel took from the generator reached echod; echod echoed at least what came back.
    let counters = await echodCounters(echod.metricsPort as number);
    for (let i = 0; i < 50 && counters.received < r.sentBytes; i++) {
      await Bun.sleep(20);
      counters = await echodCounters(echod.metricsPort as number);
    }
    expect(counters.received).toBe(r.sentBytes);
    expect(counters.sent).toBeGreaterThanOrEqual(r.receivedBytes);
    expect(r.receivedBytes % shape.size).toBe(0);
  }, 30_000);

  test("-r keeps an open-loop rate; -i prints one line per interval", async () => {
    const echod = await spawnEchod(LOOPBACK_WITH_ADMIN);
    const run = await runLoad(binary(), {
      host: "127.0.0.1",
      port: echod.port,
      connections: 10,
      size: 64,
      pipelining: 4,
      duration: 2,
      warmup: 0,
      rate: 2000,
      interval: 0.5,
    });
    expect(run.code).toBe(0);
    expect(run.result?.messages).toBeGreaterThanOrEqual(3900);
    expect(run.result?.messages).toBeLessThanOrEqual(4000);
    expect(run.intervals.length).toBe(4);
    for (const i of run.intervals) expect(i.messagesPerSecond).toBeGreaterThan(1500);
  }, 30_000);

  test("a server that changes one byte is caught as a mismatch", async () => {
    let seen = 0;
    const server = await startServer((socket, chunk) => {
      const copy = Buffer.from(chunk);
      const at = 5000 - seen;
      if (at >= 0 && at < copy.length) copy[at] = (copy[at] as number) ^ 1;
      seen += copy.length;
      socket.write(copy);
    });
    try {
      const run = await runLoad(binary(), {
        host: "127.0.0.1",
        port: server.port,
        connections: 1,
        size: 64,
        pipelining: 4,
        duration: 1,
        warmup: 0,
      });
      expect(run.code).toBe(1);
      expect(run.result?.mismatches).toBe(1);
      // Verified up to the changed byte: the 78 messages before it, and perhaps part of the 79th.
      expect(run.result?.receivedBytes).toBeGreaterThanOrEqual(78 * 64);
      expect(run.result?.receivedBytes).toBeLessThanOrEqual(5000);
    } finally {
      await server.close();
    }
  }, 30_000);

  test("a server that sends back more than it got is caught as a mismatch", async () => {
    const server = await startServer((socket, chunk) => {
      socket.write(Buffer.concat([chunk, chunk.subarray(0, 1)]));
    });
    try {
      const run = await runLoad(binary(), {
        host: "127.0.0.1",
        port: server.port,
        connections: 2,
        size: 64,
        pipelining: 1,
        duration: 0.5,
        warmup: 0,
      });
      expect(run.code).toBe(1);
      expect(run.result?.mismatches).toBe(2);
    } finally {
      await server.close();
    }
  }, 30_000);

  test("bad arguments: one line naming the argument, exit 2", async () => {
    const proc = Bun.spawnSync([binary(), "127.0.0.1", "7", "0", "64", "1", "1", "0"]);
    expect(proc.exitCode).toBe(2);
    expect(proc.stderr.toString()).toBe("epoll-load: bad CONNECTIONS 0\n");
  });
});
