/**
 * Test tools for the harness: run the real `echod-bench` CLI in a child
 * process (so a hang can be killed and exit codes are real), misbehaving
 * echo servers built on node:net (whose writes are buffered for us), and a
 * checker for the documented `--json` schema.
 */
import { expect } from "bun:test";
import net from "node:net";
import { resolve } from "node:path";
import type { BenchResult } from "../../bench/harness/aggregate.ts";
import { runScript } from "../helpers/spawn-echod.ts";

export const ROOT = resolve(import.meta.dir, "../..");
export const BENCH = resolve(ROOT, "bench/harness/cli.ts");

export interface BenchRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export async function runBench(args: string[], timeoutMs = 20_000): Promise<BenchRun> {
  return runScript(BENCH, args, {}, timeoutMs);
}

/** A --json run against 127.0.0.1:`port`, with `flags` written as on a command line ("-c 4 -d 1"). */
export function runBenchJson(port: number, flags: string): Promise<BenchRun> {
  return runBench([`127.0.0.1:${port}`, ...flags.split(" "), "-j"]);
}

/** The one JSON line of a --json run. */
export function jsonLine(run: BenchRun): BenchResult {
  const lines = run.stdout.split("\n").filter((l) => l.trim() !== "");
  expect(lines.length).toBe(1);
  return JSON.parse(lines[0] as string) as BenchResult;
}

export interface TestServer {
  readonly port: number;
  close(): Promise<void>;
}

/** A node:net echo server whose `onData` decides what to send back (return null to send nothing). */
export function startServer(
  onData: (socket: net.Socket, chunk: Buffer) => void,
  onConnection: (socket: net.Socket) => void = () => {},
): Promise<TestServer> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    socket.on("data", (chunk) => onData(socket, chunk as Buffer));
    onConnection(socket);
  });
  return new Promise((ok) => {
    server.listen(0, "127.0.0.1", () =>
      ok({
        port: (server.address() as net.AddressInfo).port,
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      }),
    );
  });
}

const LATENCY_KEYS = ["p50", "p90", "p99", "p99_9", "max", "min", "mean", "stdev", "samples"];
const THROUGHPUT_KEYS = [
  "total",
  "average",
  "stdev",
  "min",
  "max",
  "p2_5",
  "p50",
  "p97_5",
  "samples",
];
const ERROR_KEYS = [
  "mismatch",
  "short",
  "refused",
  "tls",
  "reset",
  "timeout",
  "lost",
  "closed",
  "other",
];

function expectNumbers(value: unknown, keys: string[], where: string): void {
  expect(typeof value).toBe("object");
  const o = value as Record<string, unknown>;
  expect(Object.keys(o).sort()).toEqual([...keys].sort());
  for (const k of keys) {
    if (typeof o[k] !== "number" || !Number.isFinite(o[k])) {
      throw new Error(`${where}.${k} is ${JSON.stringify(o[k])}, not a finite number`);
    }
  }
}

/** Checks a --json report against the schema documented in docs/benchmarking.md ("`--json` schema"). */
export function expectSchema(r: BenchResult): void {
  const raw = r as unknown as Record<string, unknown>;
  expect(Object.keys(r).sort()).toEqual(
    [
      "title",
      "target",
      "transport",
      "mode",
      "connections",
      "size",
      "pipelining",
      "workers",
      "rate",
      "stages",
      "connectRate",
      "channelLifetime",
      "startAt",
      "slice",
      "duration",
      "start",
      "finish",
      "messages",
      "bytes",
      "latency",
      "churn",
      "mismatches",
      "errors",
      "errorsTotal",
      "server",
      "workerCpu",
      "workerWaiting",
      "harnessBound",
      "thresholds",
      "histograms",
      "perSecond",
    ].sort(),
  );
  expect(typeof r.harnessBound).toBe("boolean");
  expect(r.workerCpu.length).toBe(r.workers);
  expect(r.workerWaiting.length).toBe(r.workers);
  for (const v of r.workerCpu) expect(v).toBeGreaterThanOrEqual(0);
  for (const v of r.workerWaiting) if (v !== null) expect(v).toBeGreaterThanOrEqual(0);
  expect(r.title === null || typeof r.title === "string").toBe(true);
  expect(r.target).toMatch(/^((tls|udp):\/\/)?(\[[0-9a-f:]+\]|[^:/]+):\d+$|^unix:.+$/);
  expect(["tcp", "tls", "unix", "udp"]).toContain(r.transport);
  expect(["closed", "rate", "churn"]).toContain(r.mode);
  for (const k of [
    "connections",
    "size",
    "pipelining",
    "workers",
    "duration",
    "mismatches",
    "errorsTotal",
  ]) {
    expect(typeof raw[k]).toBe("number");
  }
  expect(r.rate === null || typeof r.rate === "number").toBe(true);
  expect(Number.isNaN(Date.parse(r.start))).toBe(false);
  expect(Date.parse(r.finish)).toBeGreaterThanOrEqual(Date.parse(r.start));
  expectNumbers(r.messages, THROUGHPUT_KEYS, "messages");
  expectNumbers(r.bytes, THROUGHPUT_KEYS, "bytes");
  expectNumbers(r.latency, LATENCY_KEYS, "latency");
  expectNumbers(r.errors, ERROR_KEYS, "errors");
  expect(r.mismatches).toBe(r.errors.mismatch);
  const errors = r.errors as Record<string, number>;
  expect(r.errorsTotal).toBe(ERROR_KEYS.reduce((s, k) => s + (errors[k] ?? 0), 0));
  if (r.mode === "churn") {
    if (r.churn === null) throw new Error("churn is null in churn mode");
    expect(Object.keys(r.churn).sort()).toEqual(["connectLatency", "connections"]);
    expectNumbers(r.churn.connections, THROUGHPUT_KEYS, "churn.connections");
    expectNumbers(r.churn.connectLatency, LATENCY_KEYS, "churn.connectLatency");
  } else {
    expect(r.churn).toBeNull();
  }
  if (r.server !== null) {
    expect(Object.keys(r.server).sort()).toEqual(
      ["backpressurePauses", "cpuSeconds", "peakRssBytes", "rejectedConnections", "scrapes"].sort(),
    );
  }
  // Latency figures are ordered, and bytes are whole messages.
  const l = r.latency;
  expect(l.p50).toBeLessThanOrEqual(l.p90);
  expect(l.p90).toBeLessThanOrEqual(l.p99);
  expect(l.p99).toBeLessThanOrEqual(l.p99_9);
  expect(l.p99_9).toBeLessThanOrEqual(l.max);
  expect(r.bytes.total % r.size).toBe(0);
}

/** The Node.js baseline of bench/baselines/ (node-echo.mjs), on a port the kernel chose. */
export async function startNodeBaseline(): Promise<{ port: number; stop(): void }> {
  const proc = Bun.spawn(["node", resolve(ROOT, "bench/baselines/node-echo.mjs"), "0"], {
    stdout: "pipe",
    stderr: "inherit",
  });
  const reader = proc.stdout.getReader();
  let text = "";
  while (!/listening (\d+)/.test(text)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`node baseline exited: ${text}`);
    text += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  return { port: Number(/listening (\d+)/.exec(text)?.[1]), stop: () => proc.kill() };
}
