#!/usr/bin/env bun
/**
 * Is echod slow in its first seconds? Starts echod (metrics on) and the
 * reference generator together; 50 x 64 B ping-pong from the moment the port
 * accepts, for 8 s. Prints each second's msg/s and p99, the first echo and
 * /readyz times, and the first second against seconds 5-8 (targets: p99 at
 * most 1.5x, rate at least 0.8x). Server on core 0 and generator on core 1
 * when taskset exists. Needs a C compiler (for bench/baselines/epoll-load.c).
 *
 *   bun bench/studies/startup.ts [--tree DIR] [--rounds 3] [--seconds 8] [--without-metrics] [--json]
 */
import { resolve } from "node:path";
import { flagOption, JSON_OPTION, scriptArgs, textOption } from "../common/cli.ts";
import { buildLoadGenerator } from "../common/epoll-load.ts";
import { measureStartup, type StartupRun } from "../compare/startup.ts";

const values = scriptArgs<{
  tree: string;
  rounds: string;
  seconds: string;
  "without-metrics": boolean;
  json: boolean;
}>({
  name: "startup",
  usage:
    "bun bench/studies/startup.ts [options]\n\nPer-second rate and p99 of 50 x 64 B ping-pong from the moment echod's port accepts.",
  options: {
    tree: textOption(resolve(import.meta.dir, "../.."), "The echod checkout to start"),
    rounds: textOption("3", "Start-ups to measure"),
    seconds: textOption("8", "Seconds of load per start-up (at least 8 to judge seconds 5-8)"),
    "without-metrics": flagOption(
      "Start echod with --no-metrics: the start-up floor to compare with",
    ),
    json: JSON_OPTION,
  },
});
const rounds = Number(values.rounds);
const seconds = Number(values.seconds);
const usage = (flag: string, value: string, why: string) => {
  process.stderr.write(`startup: ${flag} ${JSON.stringify(value)}: ${why}\n`);
  process.exit(2);
};
if (!Number.isInteger(rounds) || rounds < 1)
  usage("--rounds", values.rounds, "must be a whole number above 0");
if (!Number.isInteger(seconds) || seconds < 1)
  usage("--seconds", values.seconds, "must be a whole number above 0");
const built = buildLoadGenerator();
if ("reason" in built) {
  process.stderr.write(`startup: ${built.reason}\n`);
  process.exit(1);
}
const pin = Bun.which("taskset") !== null && navigator.hardwareConcurrency >= 2;
const runs: StartupRun[] = [];
for (let r = 1; r <= rounds; r++) {
  const run = await measureStartup({
    tree: values.tree,
    generator: built.path,
    cpus: pin ? { server: 0, harness: 1 } : { server: null, harness: null },
    seconds,
    connections: 50,
    size: 64,
    metrics: !values["without-metrics"],
  });
  runs.push(run);
  if (values.json) continue;
  const lines = run.seconds.map(
    (s, i) =>
      `  second ${i + 1}: ${Math.round(s.messagesPerSecond).toLocaleString("en-US")} msg/s, p99 ${s.p99} ms`,
  );
  process.stdout.write(
    [
      `round ${r}: first echo ${run.firstEchoMs ?? "-"} ms, /readyz 200 at ${run.readyMs ?? "-"} ms`,
      ...lines,
      `  first second / seconds 5-8: p99 ${run.firstP99Ratio ?? "-"}x (target <= 1.5), rate ${run.firstRateRatio ?? "-"}x (target >= 0.8)${run.failure ? `; ${run.failure}` : ""}`,
      "",
    ].join("\n"),
  );
}
if (values.json)
  process.stdout.write(`${JSON.stringify({ tree: values.tree, pinned: pin, runs })}\n`);
process.exit(runs.some((r) => r.failure) ? 1 : 0);
