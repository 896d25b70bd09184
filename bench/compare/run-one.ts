/**
 * One (shape, server) measurement of bench:compare: a fresh server, an
 * optional warm-up, then `echod-bench --json` in a child process (pinned with
 * `taskset` when given a core), with the server's CPU time and peak RSS read
 * from /proc around it. Split from compare.ts, which only orders the runs.
 */
import { resolve } from "node:path";
import { cpuSeconds, memory } from "../common/proc.ts";
import type { BenchResult } from "../harness/aggregate.ts";
import type { CompareRun } from "./report.ts";
import { ROOT, type RunningServer, startServer } from "./servers.ts";
import type { Settings } from "./settings.ts";
import { type Shape, shapeArgs } from "./shapes.ts";

async function harness(
  server: RunningServer,
  args: string[],
  cpu: number | null,
): Promise<{ result: BenchResult | null; failure: string | null; cpuPercent: number | null }> {
  const taskset = cpu !== null ? ["taskset", "-c", String(cpu)] : [];
  const started = performance.now();
  const proc = Bun.spawn(
    [
      ...taskset,
      process.execPath,
      resolve(ROOT, "bench/harness/cli.ts"),
      `${server.host}:${server.port}`,
      ...args,
      "--json",
    ],
    { cwd: ROOT, stdin: "ignore", stdout: "pipe", stderr: "pipe", timeout: 600_000 },
  );
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  // The harness's own CPU over its whole life (start-up included), to show whether it was the bottleneck.
  const wall = (performance.now() - started) / 1000;
  const usage = proc.resourceUsage();
  const cpuPercent = usage ? Math.round(Number(usage.cpuTime.total) / 1e4 / wall) : null;
  const line = stdout.trim().split("\n").pop() ?? "";
  if (!line.startsWith("{")) {
    return {
      result: null,
      failure: `harness exited ${code}: ${stderr.trim().split("\n").pop()}`,
      cpuPercent,
    };
  }
  const result = JSON.parse(line) as BenchResult;
  return {
    result,
    failure: code === 0 ? null : `harness exited ${code} with ${result.errorsTotal} errors`,
    cpuPercent,
  };
}

export async function runOne(
  shape: Shape,
  round: number,
  spec: Parameters<typeof startServer>[0],
  settings: Settings,
  cpus: { server: number | null; harness: number | null },
  host: string,
): Promise<CompareRun> {
  const server = await startServer(spec, cpus.server, host);
  try {
    const base = [...shapeArgs(shape), "--title", `${spec.name} ${shape.name}`];
    if (settings.warmup > 0)
      await harness(server, [...base, "-d", String(settings.warmup)], cpus.harness);
    const before = cpuSeconds(server.pid);
    const metrics = server.metricsUrl ? ["--metrics-url", server.metricsUrl] : [];
    const { result, failure, cpuPercent } = await harness(
      server,
      [...base, "-d", String(settings.duration), ...metrics],
      cpus.harness,
    );
    const after = cpuSeconds(server.pid);
    const mem = memory(server.pid);
    return {
      shape: shape.name,
      server: spec.name,
      round,
      result,
      failure,
      serverCpuSeconds:
        before !== null && after !== null ? Math.round((after - before) * 100) / 100 : null,
      serverPeakRssBytes: mem?.peakRssBytes ?? null,
      harnessCpuPercent: cpuPercent,
    };
  } finally {
    await server.stop();
  }
}
