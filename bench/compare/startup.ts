/**
 * The start-up part of the comparison (and of bench/studies/startup.ts):
 * echod (metrics on) and the reference generator are launched together; the
 * generator connects the moment the port accepts (`-w`), runs 50 x 64 B
 * ping-pong for 8 s and reports every second. The first second is judged
 * against seconds 5-8: its p99 over their median p99, its rate over their
 * mean rate (targets: at most 1.5x and at least 0.8x). /readyz is polled
 * meanwhile, to see when echod first said ready.
 */
import { resolve } from "node:path";
import { type LoadInterval, runLoad } from "../common/epoll-load.ts";
import { freePort } from "../common/ports.ts";
import { median } from "./median.ts";

export interface StartupSettings {
  /** The checkout whose src/main.ts is started. */
  readonly tree: string;
  /** The reference generator's binary (bench/common/epoll-load.ts). */
  readonly generator: string;
  readonly cpus: { readonly server: number | null; readonly harness: number | null };
  readonly seconds: number;
  readonly connections: number;
  readonly size: number;
  /** false: start echod with --no-metrics, the start-up floor to compare with (no /readyz then). */
  readonly metrics?: boolean;
}

export interface StartupRun {
  /** Milliseconds from launch to the first echoed message (the generator's clock; both start together). */
  readonly firstEchoMs: number | null;
  /** Milliseconds from launch until /readyz first answered 200; null if it never did. */
  readonly readyMs: number | null;
  readonly seconds: readonly LoadInterval[];
  /** The first second's p99 over the median p99 of seconds 5-8 (target <= 1.5). */
  readonly firstP99Ratio: number | null;
  /** The first second's msg/s over the mean of seconds 5-8 (target >= 0.8). */
  readonly firstRateRatio: number | null;
  readonly failure: string | null;
}

const round = (v: number) => Math.round(v * 100) / 100;

/** The first second against seconds 5-8 (the 5th to 8th interval lines). */
export function judgeStartup(seconds: readonly LoadInterval[]): {
  firstP99Ratio: number | null;
  firstRateRatio: number | null;
} {
  const first = seconds[0];
  const late = seconds.slice(4, 8);
  const lateP99 = median(late.map((s) => s.p99));
  const lateRate = late.reduce((sum, s) => sum + s.messagesPerSecond, 0) / (late.length || 1);
  if (!first || late.length === 0 || !lateP99 || !lateRate)
    return { firstP99Ratio: null, firstRateRatio: null };
  return {
    firstP99Ratio: round(first.p99 / lateP99),
    firstRateRatio: round(first.messagesPerSecond / lateRate),
  };
}

/** When /readyz first says 200, polled every 10 ms until `until` ms. */
async function pollReady(url: string, launched: number, until: number): Promise<number | null> {
  while (performance.now() - launched < until) {
    const ok = await fetch(url, { signal: AbortSignal.timeout(500) }).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return Math.round(performance.now() - launched);
    await Bun.sleep(10);
  }
  return null;
}

export async function measureStartup(s: StartupSettings, host = "127.0.0.1"): Promise<StartupRun> {
  const port = freePort();
  const admin = freePort();
  const taskset = s.cpus.server !== null ? ["taskset", "-c", String(s.cpus.server)] : [];
  const launched = performance.now();
  const proc = Bun.spawn(
    [
      ...taskset,
      process.execPath,
      resolve(s.tree, "src/main.ts"),
      String(port),
      "--host",
      host,
      ...(s.metrics === false
        ? ["--no-metrics"]
        : ["--metrics-port", String(admin), "--metrics-host", "127.0.0.1"]),
      "--log-level",
      "warn",
    ],
    { cwd: s.tree, stdin: "ignore", stdout: "ignore", stderr: "pipe" },
  );
  try {
    const ready =
      s.metrics === false
        ? Promise.resolve(null)
        : pollReady(`http://127.0.0.1:${admin}/readyz`, launched, 10_000);
    const run = await runLoad(s.generator, {
      host,
      port,
      connections: s.connections,
      size: s.size,
      pipelining: 1,
      duration: s.seconds,
      warmup: 0,
      interval: 1,
      wait: 10,
      cpu: s.cpus.harness,
    });
    const readyMs = await ready;
    const failure =
      run.code === 0 && run.result
        ? null
        : `generator exited ${run.code}: ${run.stderr.trim().split("\n").pop() ?? ""}`;
    return {
      firstEchoMs: run.result && run.result.firstEcho >= 0 ? run.result.firstEcho : null,
      readyMs,
      seconds: run.intervals,
      ...judgeStartup(run.intervals),
      failure,
    };
  } finally {
    proc.kill("SIGKILL");
    await proc.exited;
  }
}
