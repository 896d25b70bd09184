#!/usr/bin/env bun
/**
 * `echod-bench HOST:PORT [options]`: the only harness module that reads argv,
 * writes to the terminal and exits. Tables go to stderr, the JSON line (with
 * --json) to stdout. Exit 0 for a clean run, 1 when any echo was wrong or
 * any connection failed, 2 for bad flags, 99 when a --threshold broke.
 */
import { EchodError, usageError } from "../../src/errors.ts";
import { aggregate, measuredOf } from "./aggregate.ts";
import { loadChartJs, renderRunHtml } from "./html-report.ts";
import { LiveRun } from "./live.ts";
import { createLiveRegistry, serveLiveMetrics } from "./live-metrics.ts";
import { mergeReports, readReports } from "./merge.ts";
import { MERGE_USAGE, parseMergeArgs } from "./merge-cli.ts";
import { type BenchOptions, parseBenchCli } from "./options.ts";
import { printResult } from "./print.ts";
import { startProgress } from "./progress.ts";
import { type ServerWatch, watchServer } from "./server-metrics.ts";
import { formatEndpoint } from "./target.ts";
import { exitCode, hopeless, verdict } from "./thresholds.ts";
import { runWorkers } from "./workers.ts";

async function main(argv: readonly string[]): Promise<number> {
  if (argv[0] === "merge") return merge(argv.slice(1));
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
  // Before any load: a run that cannot write its page should not start.
  const chartJs = o.html === null ? null : loadChartJs();
  const live = new LiveRun();
  const metrics = o.metricsPort === null ? null : startLiveMetrics(o, live);
  let stopRun = () => {};
  let abortedBy: string | null = null;
  if (o.startAt !== null) await waitUntil(o.startAt);
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
  const tables = printResult(result);
  process.stderr.write(tables);
  if (o.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  if (o.html !== null && chartJs !== null) {
    await Bun.write(o.html, renderRunHtml(result, live.timeline(), tables, chartJs));
    process.stderr.write(`echod-bench: wrote ${o.html}\n`);
  }
  return exitCode(result.thresholds, result.errorsTotal, result.mismatches);
}

/** --start-at: sleeps until then; a harness that comes up late starts at once, and says so. */
async function waitUntil(at: number): Promise<void> {
  const wait = at - Date.now();
  if (wait > 0) {
    await Bun.sleep(wait);
    return;
  }
  process.stderr.write(
    `echod-bench: started ${-wait} ms after --start-at ${new Date(at).toISOString()}\n`,
  );
}

/** `echod-bench merge FILE...`: the merged report on stderr (and stdout with --json). */
async function merge(argv: readonly string[]): Promise<number> {
  const args = parseMergeArgs(argv);
  if (args === "help") {
    process.stdout.write(`${MERGE_USAGE}\n`);
    return 0;
  }
  const reports = [];
  for (const file of args.files) {
    let text: string;
    try {
      text = file === "-" ? await Bun.stdin.text() : await Bun.file(file).text();
    } catch (error) {
      throw usageError("merge input", file, `cannot be read (${(error as Error).message})`);
    }
    reports.push(...readReports(file, text));
  }
  const merged = mergeReports(reports, args.title);
  const result =
    args.thresholds.length === 0
      ? merged
      : { ...merged, thresholds: verdict(args.thresholds, measuredOf(merged), null) };
  process.stderr.write(`merged ${reports.length} runs\n${printResult(result)}`);
  if (args.json) process.stdout.write(`${JSON.stringify(result)}\n`);
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
