#!/usr/bin/env bun
/**
 * `echod-bench HOST:PORT [options]`: the only harness module that reads argv,
 * writes to the terminal and exits. Tables go to stderr, the JSON line (with
 * --json) to stdout. Exit 0 for a clean run, 1 when any echo was wrong or
 * any connection failed, 2 for bad flags, 99 when a --threshold broke.
 */
import { EchodError } from "../../src/errors.ts";
import { aggregate, measuredOf } from "./aggregate.ts";
import { LiveRun } from "./live.ts";
import { createLiveRegistry, serveLiveMetrics } from "./live-metrics.ts";
import { type BenchOptions, parseBenchCli } from "./options.ts";
import { printResult } from "./print.ts";
import { startProgress } from "./progress.ts";
import { type ServerWatch, watchServer } from "./server-metrics.ts";
import { formatEndpoint } from "./target.ts";
import { exitCode, hopeless, verdict } from "./thresholds.ts";
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
  const live = new LiveRun();
  const metrics = o.metricsPort === null ? null : startLiveMetrics(o, live);
  let stopRun = () => {};
  let abortedBy: string | null = null;
  const start = new Date();
  const parts = await runWorkers(o, {
    onStart: (stop) => {
      stopRun = stop;
    },
    onSecond: (messages, _bytes, second, worker) => {
      progress?.add(messages);
      live.add(worker, second);
      if (o.abortOnFail && abortedBy === null) {
        const broken = hopeless(o.thresholds, live.measured(o.churn));
        if (broken) {
          abortedBy = broken.expression;
          stopRun();
        }
      }
    },
  });
  const finish = new Date();
  progress?.stop();
  metrics?.stop(true);
  const server = watch ? await watch.finish() : null;
  const measured = aggregate(o, parts, { start, finish }, server);
  const result =
    o.thresholds.length === 0
      ? measured
      : { ...measured, thresholds: verdict(o.thresholds, measuredOf(measured), abortedBy) };
  process.stderr.write(printResult(result));
  if (o.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  return exitCode(result.thresholds, result.errorsTotal, result.mismatches);
}

function startLiveMetrics(o: BenchOptions, live: LiveRun) {
  const target = formatEndpoint(o);
  const mode = o.churn ? "churn" : o.rate !== null ? "rate" : "closed";
  const registry = createLiveRegistry(live, { target, mode, transport: o.transport });
  const server = serveLiveMetrics(registry, o.metricsHost, o.metricsPort ?? 0);
  process.stderr.write(
    `echod-bench: live metrics on http://${formatEndpoint({ ...o, transport: "tcp", host: o.metricsHost, port: server.port ?? 0 })}/metrics\n`,
  );
  return server;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`echod-bench: ${message}\n`);
    process.exit(error instanceof EchodError ? error.exitCode : 1);
  },
);
