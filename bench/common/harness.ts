/**
 * Runs echod-bench (bench/harness/cli.ts) in a child process for the
 * studies that measure echod under its load: one --json report back on
 * stdout, the harness's progress and table thrown away.
 */
import { resolve } from "node:path";

const HARNESS = resolve(import.meta.dir, "../harness/cli.ts");

export interface HarnessRun {
  readonly code: number;
  /** What the harness printed on stdout: its one JSON line, when it got that far. */
  readonly stdout: string;
}

/**
 * echod-bench against 127.0.0.1:`port` with `args` and --json; `prefix`
 * goes before the command (for example taskset, to pin it to a core).
 */
export async function runHarness(
  port: number,
  args: readonly string[],
  prefix: readonly string[] = [],
): Promise<HarnessRun> {
  const proc = Bun.spawn(
    [...prefix, process.execPath, HARNESS, `127.0.0.1:${port}`, ...args, "--json"],
    { stdout: "pipe", stderr: "ignore" },
  );
  const stdout = await new Response(proc.stdout).text();
  return { code: await proc.exited, stdout };
}
