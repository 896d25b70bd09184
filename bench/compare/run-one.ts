/**
 * One (part, shape, server, round) measurement of bench:compare: a fresh
 * server, `--settle` seconds of quiet after it is ready, an unmeasured
 * warm-up, then the measured run, with the server's CPU time and peak RSS
 * read from /proc around it. The load comes from the reference generator
 * (bench/baselines/epoll-load.c), or from `echod-bench --json` for the
 * harness ceiling, each in a child process pinned with `taskset` when given
 * a core. Split from compare.ts, which only orders the runs.
 */
import { resolve } from "node:path";
import { type LoadOptions, runLoad } from "../common/epoll-load.ts";
import { cpuSeconds, memory } from "../common/proc.ts";
import type { BenchResult } from "../harness/aggregate.ts";
import type { CompareRun, Measurement } from "./record.ts";
import { ROOT, type RunningServer, type ServerSpec, startServer } from "./servers.ts";
import type { Settings } from "./settings.ts";
import { type Shape, shapeArgs } from "./shapes.ts";

export interface Cpus {
  readonly server: number | null;
  readonly harness: number | null;
}

type Outcome = Pick<CompareRun, "result" | "failure" | "harnessCpuPercent">;

/** Percent of one core that a child used over `wallSeconds`. */
function cpuPercent(
  proc: { resourceUsage(): { cpuTime: { total: number | bigint } } | undefined },
  wallSeconds: number,
) {
  const usage = proc.resourceUsage();
  return usage ? Math.round(Number(usage.cpuTime.total) / 1e4 / wallSeconds) : null;
}

async function generator(
  binary: string,
  server: RunningServer,
  shape: Shape,
  duration: number,
  rate: number | null,
  cpu: number | null,
): Promise<Outcome> {
  const o: LoadOptions = {
    host: server.host,
    port: server.port,
    connections: shape.connections,
    size: shape.size,
    pipelining: shape.pipelining,
    duration,
    warmup: 0,
    cpu,
    ...(rate ? { rate } : {}),
  };
  const started = performance.now();
  const run = await runLoad(binary, o);
  const wall = (performance.now() - started) / 1000;
  const r = run.result;
  const result: Measurement | null = r && {
    tool: "epoll-load",
    messages: r.messages,
    messagesPerSecond: r.messagesPerSecond,
    bytesPerSecond: r.bytesPerSecond,
    duration: r.duration,
    p99Ms: r.latency.p99,
    errors: r.mismatches + r.errors,
    rate,
    harnessBound: null,
  };
  const failure =
    run.code === 0
      ? null
      : `epoll-load exited ${run.code}: ${run.stderr.trim().split("\n").pop() ?? ""}`;
  return {
    result,
    failure,
    harnessCpuPercent: run.cpuSeconds === null ? null : Math.round((100 * run.cpuSeconds) / wall),
  };
}

async function echodBench(
  server: RunningServer,
  shape: Shape,
  settings: Settings,
  cpu: number | null,
): Promise<Outcome> {
  const taskset = cpu !== null ? ["taskset", "-c", String(cpu)] : [];
  const args = [
    ...shapeArgs(shape),
    "-d",
    String(settings.duration),
    "--warmup",
    String(settings.warmup),
  ];
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
  const harnessCpuPercent = cpuPercent(proc, (performance.now() - started) / 1000);
  const line = stdout.trim().split("\n").pop() ?? "";
  if (!line.startsWith("{"))
    return {
      result: null,
      failure: `echod-bench exited ${code}: ${stderr.trim().split("\n").pop()}`,
      harnessCpuPercent,
    };
  const r = JSON.parse(line) as BenchResult;
  return {
    result: measurementOf(r),
    failure: code === 0 ? null : `echod-bench exited ${code} with ${r.errorsTotal} errors`,
    harnessCpuPercent,
  };
}

/** The figures of one echod-bench report (`--json`) that a comparison keeps. */
export function measurementOf(r: BenchResult): Measurement {
  return {
    tool: "echod-bench",
    messages: r.messages.total,
    messagesPerSecond: r.messages.average,
    bytesPerSecond: r.bytes.average,
    duration: r.duration,
    p99Ms: r.latency.p99,
    errors: r.errorsTotal,
    rate: null,
    // echod-bench's own CPU accounting (bench/harness/cpu.ts); absent in reports of older versions.
    harnessBound: typeof r.harnessBound === "boolean" ? r.harnessBound : null,
  };
}

export interface RunRequest {
  readonly part: CompareRun["part"];
  readonly shape: Shape;
  readonly round: number;
  readonly spec: ServerSpec;
  readonly settings: Settings;
  readonly cpus: Cpus;
  readonly host: string;
  /** The reference generator's binary. */
  readonly generator: string;
  /** Open-loop messages/s (fixed-rate part), or null. */
  readonly rate: number | null;
}

/**
 * The runs of one fresh server: the generator (capacity or fixed rate), or
 * for the harness part the generator and then echod-bench on the same server.
 */
export async function runOne(q: RunRequest): Promise<CompareRun[]> {
  const server = await startServer(q.spec, q.cpus.server, q.host);
  try {
    await Bun.sleep(q.settings.settle * 1000);
    const tools =
      q.part === "harness" ? (["epoll-load", "echod-bench"] as const) : (["epoll-load"] as const);
    const runs: CompareRun[] = [];
    for (const tool of tools) {
      if (tool === "epoll-load" && q.settings.warmup > 0)
        await generator(q.generator, server, q.shape, q.settings.warmup, q.rate, q.cpus.harness);
      const before = cpuSeconds(server.pid);
      const outcome =
        tool === "epoll-load"
          ? await generator(
              q.generator,
              server,
              q.shape,
              q.settings.duration,
              q.rate,
              q.cpus.harness,
            )
          : await echodBench(server, q.shape, q.settings, q.cpus.harness);
      const after = cpuSeconds(server.pid);
      runs.push({
        part: q.part,
        shape: q.shape.name,
        server: q.part === "harness" ? tool : q.spec.name,
        round: q.round,
        ...outcome,
        // echod-bench's warm-up runs inside its process: its CPU figure would include it.
        serverCpuSeconds:
          tool === "epoll-load" && before !== null && after !== null
            ? Math.round((after - before) * 100) / 100
            : null,
        serverPeakRssBytes: memory(server.pid)?.peakRssBytes ?? null,
      });
    }
    return runs;
  } finally {
    await server.stop();
  }
}
