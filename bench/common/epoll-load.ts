/**
 * The reference load generator, bench/baselines/epoll-load.c: built with the
 * C compiler on PATH into bench/baselines/bin/, run in a child process
 * (pinned with `taskset` when given a core), its JSON lines parsed. The
 * compare runner drives the servers with it and the start-up study reads its
 * per-interval lines.
 */
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";

const BASELINES = resolve(import.meta.dir, "../baselines");

export interface LoadShape {
  readonly connections: number;
  readonly size: number;
  readonly pipelining: number;
}

export interface LoadOptions extends LoadShape {
  readonly host: string;
  readonly port: number;
  readonly duration: number;
  readonly warmup: number;
  /** Total messages/s, open loop; 0 or absent for closed loop. */
  readonly rate?: number;
  /** Seconds between interval lines; absent for none. */
  readonly interval?: number;
  /** Seconds to retry refused connects (a server still starting). */
  readonly wait?: number;
  readonly cpu?: number | null;
}

/** The summary line (latencies in ms; bytes over the whole run, warm-up included). */
export interface LoadResult {
  readonly connections: number;
  readonly size: number;
  readonly pipelining: number;
  readonly rate: number;
  readonly duration: number;
  readonly messages: number;
  readonly messagesPerSecond: number;
  readonly bytesPerSecond: number;
  readonly latency: {
    readonly p50: number;
    readonly p90: number;
    readonly p99: number;
    readonly p99_9: number;
    readonly max: number;
  };
  /** Milliseconds from the generator's start to the first echoed message; -1 if none came back. */
  readonly firstEcho: number;
  readonly sentBytes: number;
  readonly receivedBytes: number;
  readonly mismatches: number;
  readonly errors: number;
}

/** One `-i` line: the interval that ended `second` s after the start. */
export interface LoadInterval {
  readonly second: number;
  readonly messages: number;
  readonly messagesPerSecond: number;
  readonly p99: number;
  readonly max: number;
}

export interface LoadRun {
  readonly code: number;
  readonly result: LoadResult | null;
  readonly intervals: LoadInterval[];
  readonly stderr: string;
  /** The generator's own CPU seconds (user + system), or null if unknown. */
  readonly cpuSeconds: number | null;
}

/** Builds the generator into `dir`: the binary's path, or why it could not be built. */
export function buildLoadGenerator(
  dir = resolve(BASELINES, "bin"),
): { path: string } | { reason: string } {
  const cc = Bun.which("cc") ?? Bun.which("gcc") ?? Bun.which("clang");
  if (!cc) return { reason: "no C compiler (cc, gcc, clang) on PATH" };
  mkdirSync(dir, { recursive: true });
  const path = resolve(dir, "epoll-load");
  const out = Bun.spawnSync([cc, "-O2", "-o", path, resolve(BASELINES, "epoll-load.c"), "-lm"], {
    stdout: "pipe",
    stderr: "pipe",
  });
  if (out.exitCode === 0) return { path };
  return { reason: `${cc} epoll-load.c failed: ${out.stderr.toString().trim().split("\n")[0]}` };
}

/** The command line for `o`. */
export function loadArgs(binary: string, o: LoadOptions): string[] {
  const taskset = o.cpu !== undefined && o.cpu !== null ? ["taskset", "-c", String(o.cpu)] : [];
  const optional = [
    ...(o.rate ? ["-r", String(o.rate)] : []),
    ...(o.interval ? ["-i", String(o.interval)] : []),
    ...(o.wait ? ["-w", String(o.wait)] : []),
  ];
  return [
    ...taskset,
    binary,
    ...optional,
    o.host,
    String(o.port),
    String(o.connections),
    String(o.size),
    String(o.pipelining),
    String(o.duration),
    String(o.warmup),
  ];
}

/** Runs the generator to the end; killed if it outlives its duration by 30 s. */
export async function runLoad(binary: string, o: LoadOptions): Promise<LoadRun> {
  const proc = Bun.spawn(loadArgs(binary, o), {
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    timeout: (o.duration + o.warmup + (o.wait ?? 0) + 30) * 1000,
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  const lines = stdout
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const last = lines.at(-1);
  const result = last && "latency" in last ? (last as unknown as LoadResult) : null;
  const intervals = lines.filter((l) => "second" in l) as unknown as LoadInterval[];
  const usage = proc.resourceUsage();
  const cpuSeconds = usage ? Number(usage.cpuTime.total) / 1e6 : null;
  return { code, result, intervals, stderr, cpuSeconds };
}
