#!/usr/bin/env bun
/**
 * echod's memory under the three loads of the performance issue, measured
 * from /proc on a spawned echod (one worker, metrics on):
 *
 * - idle: RSS per idle connection with --idle N connections open (default 10,000);
 * - churn: RSS after the first and the last of --churn N short connections
 *   (default 1,000,000), each connect, echo 64 bytes, close, driven by
 *   echod-bench --churn; "flat" means the last reading is within 5% of the first;
 * - the non-reading flood is measured by test/hostile/non-reading-flood.test.ts.
 *
 *   bun bench/studies/memory.ts [--idle 10000] [--churn 1000000] [--json]
 */
import net from "node:net";
import { resolve } from "node:path";
import { JSON_OPTION, scriptArgs, textOption } from "../common/cli.ts";
import { runHarness } from "../common/harness.ts";
import { freePort, waitForPort } from "../common/ports.ts";
import { rssBytes } from "../common/proc.ts";

const ROOT = resolve(import.meta.dir, "../..");
const values = scriptArgs<{ idle: string; churn: string; json: boolean }>({
  name: "memory",
  usage:
    "bun bench/studies/memory.ts [options]\n\nechod's RSS with idle connections open and over many short ones.",
  options: {
    idle: textOption("10000", "Idle connections to hold open"),
    churn: textOption("1000000", "Short connections (echod-bench --churn)"),
    json: JSON_OPTION,
  },
});
const idleCount = Number(values.idle);
const churnCount = Number(values.churn);
for (const [flag, n] of [
  ["--idle", idleCount],
  ["--churn", churnCount],
] as const) {
  if (!Number.isInteger(n) || n < 0) {
    process.stderr.write(
      `memory: invalid ${flag} ${JSON.stringify(String(n))}: must be a whole number\n`,
    );
    process.exit(2);
  }
}

const rssOf = rssBytes;
const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);

async function startEchod(): Promise<{ proc: ReturnType<typeof Bun.spawn>; port: number }> {
  const port = freePort();
  const admin = freePort();
  const proc = Bun.spawn(
    [
      process.execPath,
      resolve(ROOT, "src/main.ts"),
      String(port),
      "--host",
      "127.0.0.1",
      "--metrics-port",
      String(admin),
      "--metrics-host",
      "127.0.0.1",
      "--max-connections",
      "20000",
      "--log-level",
      "warn",
    ],
    { stdout: "ignore", stderr: "inherit" },
  );
  await waitForPort(port);
  await Bun.sleep(500);
  return { proc, port };
}

const result: Record<string, unknown> = {};

if (idleCount > 0) {
  const { proc, port } = await startEchod();
  // Warm up the paths a connection takes, so the baseline includes them.
  for (const socket of await openIdle(port, 100)) socket.destroy();
  Bun.gc(true);
  await Bun.sleep(1000);
  const before = rssOf(proc.pid);
  const sockets = await openIdle(port, idleCount);
  await Bun.sleep(2000);
  const after = rssOf(proc.pid);
  const perConnection = (after - before) / idleCount;
  result.idle = {
    connections: idleCount,
    rssBeforeBytes: before,
    rssAfterBytes: after,
    bytesPerConnection: perConnection,
  };
  process.stderr.write(
    `idle: ${idleCount} connections, RSS ${mib(before)} -> ${mib(after)} MiB, ${(perConnection / 1024).toFixed(2)} KiB per connection (target <= 2 KiB)\n`,
  );
  for (const s of sockets) s.destroy();
  proc.kill("SIGTERM");
  await proc.exited;
}

if (churnCount > 0) {
  const { proc, port } = await startEchod();
  const warm = Math.min(20_000, churnCount);
  await churn(port, warm);
  const first = rssOf(proc.pid);
  const samples: number[] = [first];
  const started = performance.now();
  const sampler = setInterval(() => samples.push(rssOf(proc.pid)), 2000);
  const echoed = await churn(port, churnCount);
  clearInterval(sampler);
  const last = rssOf(proc.pid);
  samples.push(last);
  const seconds = (performance.now() - started) / 1000;
  const growth = last / first - 1;
  result.churn = {
    connections: echoed,
    warmup: warm,
    seconds,
    rssFirstBytes: first,
    rssLastBytes: last,
    rssMaxBytes: Math.max(...samples),
    growth,
  };
  process.stderr.write(
    `churn: ${echoed} connections in ${seconds.toFixed(0)} s after ${warm} to warm up; RSS first ${mib(first)} MiB, last ${mib(last)} MiB, max ${mib(Math.max(...samples))} MiB: ${(growth * 100).toFixed(1)}% (target within 5%)\n`,
  );
  proc.kill("SIGTERM");
  await proc.exited;
}

if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`);

async function openIdle(port: number, count: number): Promise<net.Socket[]> {
  const sockets: net.Socket[] = [];
  for (let i = 0; i < count; i += 500) {
    const batch = await Promise.all(
      Array.from(
        { length: Math.min(500, count - i) },
        () =>
          new Promise<net.Socket>((done, fail) => {
            const s = net.connect({ port, host: "127.0.0.1" }, () => done(s));
            s.on("error", fail);
          }),
      ),
    );
    sockets.push(...batch);
  }
  return sockets;
}

/** Runs echod-bench --churn for `amount` connections; returns how many it echoed. */
async function churn(port: number, amount: number): Promise<number> {
  const { code, stdout } = await runHarness(port, ["--churn", "-c", "50", "-a", String(amount)]);
  const report = JSON.parse(stdout) as {
    messages: { total: number };
    errors: Record<string, number>;
  };
  if (code !== 0) throw new Error(`echod-bench --churn failed: ${JSON.stringify(report.errors)}`);
  return report.messages.total;
}
