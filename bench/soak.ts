#!/usr/bin/env bun
/**
 * `npm run soak -- --duration 600`: starts echod as a child process, runs
 * mixed load against it on loopback (byte-verified streams, ping-pong,
 * churn, idle connections closed by the idle timeout, resets mid-transfer)
 * for the given time, samples echod's RSS and open descriptors from /proc and
 * its active connections from /metrics, then stops the load, waits for echod
 * to settle and gives a verdict on growth. The table goes to stderr, one JSON
 * line to stdout with --json. Exits 0 on "no growth", 1 otherwise, 2 on bad
 * input.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { EchodError, usageError } from "../src/errors.ts";
import { parseSeconds, parseSize } from "../src/units.ts";
import { type LoadOptions, startLoad } from "./soak-load.ts";
import { formatTable, formatVerdict, judge, type SoakSample } from "./soak-verdict.ts";

const HELP = `usage: bun bench/soak.ts [options]
  --duration S       how long the load runs (default 600)
  --interval S       seconds between samples (default 10)
  --streams N        byte-verified streams (default 4)
  --stream-rate SIZE bytes per second per stream (default 1MiB)
  --ping-pong N      ping-pong connections, 64-byte messages (default 8)
  --churn N          short connections per second (default 50)
  --idle N           idle connections, reopened when echod closes them (default 200)
  --idle-timeout S   echod's --idle-timeout (default 5)
  --resets N         connections reset (RST) mid-transfer per second (default 20)
  --max-buffer SIZE  echod's --max-buffer (default 256KiB)
  --max-growth PCT   allowed RSS growth, last quarter vs second quarter (default 10)
  --tls              load echod's TLS port (self-signed certificate made with openssl)
  --json             one JSON line on stdout
  -h, --help`;

const ROOT = resolve(import.meta.dir, "..");

interface SoakOptions extends Omit<LoadOptions, "host" | "port"> {
  readonly duration: number;
  readonly interval: number;
  readonly idleTimeout: number;
  readonly maxBuffer: number;
  readonly maxGrowth: number;
  readonly json: boolean;
}

function parseOptions(argv: string[]): SoakOptions | null {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      duration: { type: "string", default: "600" },
      interval: { type: "string", default: "10" },
      streams: { type: "string", default: "4" },
      "stream-rate": { type: "string", default: "1MiB" },
      "ping-pong": { type: "string", default: "8" },
      churn: { type: "string", default: "50" },
      idle: { type: "string", default: "200" },
      "idle-timeout": { type: "string", default: "5" },
      resets: { type: "string", default: "20" },
      "max-buffer": { type: "string", default: "256KiB" },
      "max-growth": { type: "string", default: "10" },
      tls: { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) return null;
  const seconds = (name: keyof typeof values, min: number) => {
    const v = parseSeconds(String(values[name]));
    if (v === null || v < min)
      throw usageError(`--${name}`, values[name], `must be a duration of at least ${min} s`);
    return v;
  };
  const count = (name: keyof typeof values) => {
    const v = Number(values[name]);
    if (!Number.isInteger(v) || v < 0 || v > 5000) {
      throw usageError(`--${name}`, values[name], "must be an integer from 0 to 5000");
    }
    return v;
  };
  const size = (name: keyof typeof values) => {
    const v = parseSize(String(values[name]));
    if (v === null || v < 1)
      throw usageError(`--${name}`, values[name], "must be a size such as 65536 or 1MiB");
    return v;
  };
  const growth = Number(values["max-growth"]);
  if (!Number.isFinite(growth) || growth < 0) {
    throw usageError("--max-growth", values["max-growth"], "must be a percentage, 0 or more");
  }
  return {
    duration: seconds("duration", 1),
    interval: seconds("interval", 0.5),
    streams: count("streams"),
    streamRate: size("stream-rate"),
    pingPong: count("ping-pong"),
    churn: count("churn"),
    idle: count("idle"),
    idleTimeout: seconds("idle-timeout", 0.1),
    resets: count("resets"),
    maxBuffer: size("max-buffer"),
    maxGrowth: growth,
    tls: values.tls === true,
    json: values.json === true,
  };
}

interface Child {
  readonly proc: ReturnType<typeof Bun.spawn>;
  readonly port: number;
  readonly admin: number;
  readonly lines: Record<string, unknown>[];
}

async function spawnEchod(o: SoakOptions, tlsDir: string | null): Promise<Child> {
  const args = [
    "0",
    "--host",
    "127.0.0.1",
    "--metrics-port",
    "0",
    "--metrics-host",
    "127.0.0.1",
    "--idle-timeout",
    String(o.idleTimeout),
    "--max-buffer",
    String(o.maxBuffer),
  ];
  if (tlsDir !== null) {
    args.push(
      "--tls-port",
      "0",
      "--tls-cert",
      join(tlsDir, "cert.pem"),
      "--tls-key",
      join(tlsDir, "key.pem"),
    );
  }
  const proc = Bun.spawn([process.execPath, join(ROOT, "src/main.ts"), ...args], {
    cwd: ROOT,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "inherit",
  });
  const lines: Record<string, unknown>[] = [];
  let started: (line: Record<string, unknown>) => void = () => {};
  const startLine = new Promise<Record<string, unknown>>((r) => {
    started = r;
  });
  void (async () => {
    let pending = "";
    for await (const chunk of proc.stdout) {
      pending += new TextDecoder().decode(chunk);
      for (let nl = pending.indexOf("\n"); nl >= 0; nl = pending.indexOf("\n")) {
        const line = JSON.parse(pending.slice(0, nl)) as Record<string, unknown>;
        pending = pending.slice(nl + 1);
        lines.push(line);
        if (line.msg === "echod listening") started(line);
      }
    }
  })();
  const line = await Promise.race([
    startLine,
    proc.exited.then((code) => {
      throw new Error(`echod exited with code ${code} before listening`);
    }),
    Bun.sleep(15_000).then(() => {
      throw new Error("echod did not start within 15 s");
    }),
  ]);
  const portOf = (address: unknown) => Number(String(address).split(":").pop());
  // The TLS listener's address is in `listeners.tls` of the startup line.
  const listeners = (line.listeners ?? {}) as Record<string, unknown>;
  const port = tlsDir !== null ? portOf(listeners.tls) : portOf(line.echo);
  if (!Number.isInteger(port) || port <= 0) {
    throw new Error(
      `no ${tlsDir !== null ? "tls" : "echo"} address in the startup line: ${JSON.stringify(line)}`,
    );
  }
  return { proc, port, admin: portOf(line.admin), lines };
}

function makeCertificate(): string {
  const dir = mkdtempSync(join(tmpdir(), "echod-soak-tls-"));
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-days",
      "1",
      "-subj",
      "/CN=localhost",
    ].concat(["-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")]),
    { stdio: "ignore" },
  );
  return dir;
}

function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
  return Number(kib) * 1024;
}

function openFds(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

async function scrape(admin: number): Promise<Map<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${admin}/metrics`)).text();
  const samples = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const space = line.lastIndexOf(" ");
    samples.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return samples;
}

/** The sum of a metric over all its label sets (echod labels some gauges by listener). */
function total(m: Map<string, number>, name: string): number {
  let sum = Number.NaN;
  for (const [key, value] of m) {
    if (key === name || key.startsWith(`${name}{`)) sum = (Number.isNaN(sum) ? 0 : sum) + value;
  }
  return sum;
}

async function run(o: SoakOptions): Promise<number> {
  const tlsDir = o.tls ? makeCertificate() : null;
  const echod = await spawnEchod(o, tlsDir);
  const pid = echod.proc.pid;
  try {
    // One scrape first: its keep-alive connection to the admin port stays open, so count it in.
    await scrape(echod.admin);
    await Bun.sleep(500);
    const fdsBefore = openFds(pid);
    const load = startLoad({ ...o, host: "127.0.0.1", port: echod.port });
    const started = performance.now();
    const samples: SoakSample[] = [];
    let lastBytes = 0;
    let lastTrips = 0;
    let lastT = 0;
    while ((performance.now() - started) / 1000 < o.duration) {
      await Bun.sleep(
        Math.min(o.interval * 1000, o.duration * 1000 - (performance.now() - started)),
      );
      const t = (performance.now() - started) / 1000;
      const m = await scrape(echod.admin);
      const c = load.counters;
      const sample: SoakSample = {
        t,
        rssBytes: rssBytes(pid),
        openFds: openFds(pid),
        active: total(m, "echod_connections_active"),
        bufferedBytes: total(m, "echod_buffered_bytes"),
        accepted: total(m, "echod_connections_accepted_total"),
        streamBytesPerSec: (c.streamBytes - lastBytes) / (t - lastT),
        roundTripsPerSec: (c.roundTrips - lastTrips) / (t - lastT),
        errors: c.errors,
      };
      lastBytes = c.streamBytes;
      lastTrips = c.roundTrips;
      lastT = t;
      samples.push(sample);
      if (!o.json || process.stderr.isTTY) {
        process.stderr.write(
          `t=${t.toFixed(0)}s rss=${(sample.rssBytes / 2 ** 20).toFixed(1)}MiB fds=${sample.openFds} active=${sample.active} errors=${sample.errors}\n`,
        );
      }
    }
    await load.stop();
    // Let echod see every close, then count its descriptors again.
    let after = await scrape(echod.admin);
    for (let i = 0; i < 100 && total(after, "echod_connections_active") !== 0; i++) {
      await Bun.sleep(100);
      after = await scrape(echod.admin);
    }
    const fdsAfter = openFds(pid);
    const verdict = judge({
      samples,
      fdsBefore,
      fdsAfter,
      activeAfter: total(after, "echod_connections_active"),
      errors: load.counters.errors,
      maxGrowthPercent: o.maxGrowth,
    });
    const closed = Object.fromEntries(
      [...after]
        .filter(([k]) => k.startsWith("echod_connections_closed_total"))
        .map(([k, v]) => [/reason="(\w+)"/.exec(k)?.[1] ?? k, v]),
    );
    process.stderr.write(`${formatTable(samples)}\n${formatVerdict(verdict)}\n`);
    process.stderr.write(
      `load: ${(load.counters.streamBytes / 2 ** 20).toFixed(0)} MiB streamed and verified, ${load.counters.roundTrips} round trips, ${load.counters.churned} churned, ${load.counters.idleClosed} idle closed by echod, ${load.counters.resets} resets${load.counters.lastError ? `; last error: ${load.counters.lastError}` : ""}\n`,
    );
    process.stderr.write(`echod closed connections by reason: ${JSON.stringify(closed)}\n`);
    if (o.json) {
      const { json: _json, ...options } = o;
      process.stdout.write(
        `${JSON.stringify({ options, samples, verdict, load: load.counters, closed, accepted: total(after, "echod_connections_accepted_total") })}\n`,
      );
    }
    return verdict.ok ? 0 : 1;
  } finally {
    echod.proc.kill("SIGTERM");
    await Promise.race([echod.proc.exited, Bun.sleep(15_000)]);
    echod.proc.kill("SIGKILL");
    if (tlsDir !== null) rmSync(tlsDir, { recursive: true, force: true });
  }
}

async function main(): Promise<number> {
  let options: SoakOptions | null;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    const message = error instanceof EchodError ? error.message : (error as Error).message;
    process.stderr.write(`soak: ${message}\n`);
    return 2;
  }
  if (options === null) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  return run(options);
}

process.exit(await main());
