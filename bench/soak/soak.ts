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
import { rmSync } from "node:fs";
import { usageError } from "../../src/errors.ts";
import { parseSeconds, parseSize } from "../../src/units.ts";
import { selfSignedDir } from "../common/certs.ts";
import { flagOption, JSON_OPTION, runScript, type ScriptCli, textOption } from "../common/cli.ts";
import { openFds, rssBytes } from "../common/proc.ts";
import { scrapeSamples as scrape, sumSamples as total } from "../common/prom-text.ts";
import { type Echod, LOOPBACK_WITH_ADMIN, portOf, spawnEchod } from "../common/spawn-echod.ts";
import { type LoadOptions, startLoad } from "./load.ts";
import { formatTable, formatVerdict, judge, type SoakSample } from "./verdict.ts";

const CLI: ScriptCli = {
  name: "soak",
  usage:
    "bun bench/soak/soak.ts [options]\n\nMixed load against a spawned echod; a verdict on RSS and descriptor growth.",
  options: {
    duration: textOption("600", "Seconds the load runs"),
    interval: textOption("10", "Seconds between samples"),
    streams: textOption("4", "Byte-verified streams"),
    "stream-rate": textOption("1MiB", "Bytes per second per stream"),
    "ping-pong": textOption("8", "Ping-pong connections, 64-byte messages"),
    churn: textOption("50", "Short connections per second"),
    idle: textOption("200", "Idle connections, reopened when echod closes them"),
    "idle-timeout": textOption("5", "echod's --idle-timeout"),
    resets: textOption("20", "Connections reset (RST) mid-transfer per second"),
    "max-buffer": textOption("256KiB", "echod's --max-buffer"),
    "max-growth": textOption("10", "Allowed RSS growth in %, last quarter vs second quarter"),
    tls: flagOption("Load echod's TLS port (self-signed certificate made with openssl)"),
    json: JSON_OPTION,
  },
};

interface SoakOptions extends Omit<LoadOptions, "host" | "port"> {
  readonly duration: number;
  readonly interval: number;
  readonly idleTimeout: number;
  readonly maxBuffer: number;
  readonly maxGrowth: number;
  readonly json: boolean;
}

function parseOptions(values: Record<string, unknown>): SoakOptions {
  const seconds = (name: string, min: number) => {
    const v = parseSeconds(String(values[name]));
    if (v === null || v < min)
      throw usageError(`--${name}`, values[name], `must be a duration of at least ${min} s`);
    return v;
  };
  const count = (name: string) => {
    const v = Number(values[name]);
    if (!Number.isInteger(v) || v < 0 || v > 5000) {
      throw usageError(`--${name}`, values[name], "must be an integer from 0 to 5000");
    }
    return v;
  };
  const size = (name: string) => {
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

/** echod on loopback with its admin server and the soak's limits; the TLS listener too with `tlsDir`. */
async function startEchod(
  o: SoakOptions,
  tls: { key: string; cert: string } | null,
): Promise<{ echod: Echod; port: number; admin: number }> {
  const args = [
    ...LOOPBACK_WITH_ADMIN,
    "--idle-timeout",
    String(o.idleTimeout),
    "--max-buffer",
    String(o.maxBuffer),
  ];
  if (tls !== null) args.push("--tls-port", "0", "--tls-cert", tls.cert, "--tls-key", tls.key);
  const echod = await spawnEchod(args, { timeoutMs: 15_000, echoStderr: true });
  // The TLS listener's address is in `listeners.tls` of the startup line.
  const listeners = (echod.started.listeners ?? {}) as Record<string, unknown>;
  const port = tls !== null ? portOf(listeners.tls) : echod.port;
  if (!Number.isInteger(port) || port <= 0) {
    echod.proc.kill("SIGKILL");
    throw new Error(
      `no ${tls !== null ? "tls" : "echo"} address in the startup line: ${JSON.stringify(echod.started)}`,
    );
  }
  return { echod, port, admin: echod.metricsPort ?? Number.NaN };
}

async function run(o: SoakOptions): Promise<number> {
  const tls = o.tls ? selfSignedDir("echod-soak-tls-") : null;
  const { echod, port, admin } = await startEchod(o, tls);
  const pid = echod.proc.pid;
  try {
    // One scrape first: its keep-alive connection to the admin port stays open, so count it in.
    await scrape(admin);
    await Bun.sleep(500);
    const fdsBefore = openFds(pid);
    const load = startLoad({ ...o, host: "127.0.0.1", port });
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
      const m = await scrape(admin);
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
    let after = await scrape(admin);
    for (let i = 0; i < 100 && total(after, "echod_connections_active") !== 0; i++) {
      await Bun.sleep(100);
      after = await scrape(admin);
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
    if (tls !== null) rmSync(tls.dir, { recursive: true, force: true });
  }
}

await runScript(CLI, (values) => run(parseOptions(values)));
