#!/usr/bin/env bun
/**
 * `echod-bench HOST:PORT [options]`: the only harness module that reads argv,
 * writes to the terminal and exits. Tables go to stderr, the JSON line (with
 * --json) to stdout. Exit 0 for a clean run, 1 when any echo was wrong or
 * any connection failed, 2 for bad flags.
 */
import { EchodError } from "../../src/errors.ts";
import { aggregate } from "./aggregate.ts";
import { parseBenchCli } from "./options.ts";
import { printResult } from "./print.ts";
import { startProgress } from "./progress.ts";
import { type ServerWatch, watchServer } from "./server-metrics.ts";
import { runWorkers } from "./workers.ts";

async function main(argv: readonly string[]): Promise<number> {
  const cli = parseBenchCli(argv, process.stderr.isTTY === true);
  if (cli.kind === "output") {
    process.stdout.write(`${cli.text}\n`);
    return 0;
  }
  const o = cli.options;
  const watch: ServerWatch | null = o.metricsUrl ? await watchServer(o.metricsUrl) : null;
  const progress = o.progress
    ? startProgress(
        (t) => process.stderr.write(t),
        o.duration === null ? null : o.duration + o.warmup,
      )
    : null;
  const start = new Date();
  const parts = await runWorkers(o, progress ? { onSecond: (m) => progress.add(m) } : {});
  const finish = new Date();
  progress?.stop();
  const server = watch ? await watch.finish() : null;
  const result = aggregate(o, parts, { start, finish }, server);
  process.stderr.write(printResult(result));
  if (o.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  return result.errorsTotal > 0 ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`echod-bench: ${message}\n`);
    process.exit(error instanceof EchodError ? error.exitCode : 1);
  },
);
