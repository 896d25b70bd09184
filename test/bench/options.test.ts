/**
 * The harness's command line: bad flags get one line naming the flag and the
 * value and exit 2 (checked by spawning the CLI, as a user would); good ones
 * become frozen options with autocannon-style defaults.
 */
import { describe, expect, test } from "bun:test";
import { parseBenchCli } from "../../bench/options.ts";
import { engineOptions } from "../../bench/workers.ts";
import { runBench } from "./helpers.ts";

function options(args: string[]) {
  const cli = parseBenchCli(args, false);
  if (cli.kind !== "run") throw new Error("expected options");
  return cli.options;
}

describe("bad flags", () => {
  const cases: [string[], RegExp][] = [
    [["127.0.0.1"], /invalid target "127\.0\.0\.1": must be host:port/],
    [["127.0.0.1:70000"], /invalid target "127\.0\.0\.1:70000"/],
    [["127.0.0.1:7007", "-c", "0"], /invalid --connections "0": must be an integer from 1/],
    [["127.0.0.1:7007", "-s", "big"], /invalid --size "big": must be a size/],
    [["127.0.0.1:7007", "-d", "-3"], /invalid --duration "-3"/],
    [
      ["127.0.0.1:7007", "-d", "5", "-a", "100"],
      /invalid --amount "100": give --duration or --amount, not both/,
    ],
    [["127.0.0.1:7007", "-R", "fast"], /invalid --rate "fast": must be a number above 0/],
    [
      ["127.0.0.1:7007", "-R", "100", "--churn"],
      /invalid --rate "100": cannot be combined with --churn/,
    ],
    [
      ["127.0.0.1:7007", "-c", "2", "-w", "3"],
      /invalid --workers "3": must not exceed --connections \(2\)/,
    ],
    [
      ["127.0.0.1:7007", "--metrics-url", "localhost:9464"],
      /invalid --metrics-url "localhost:9464"/,
    ],
    [
      ["127.0.0.1:7007", "--conections", "5"],
      /unknown option --conections \(see echod-bench --help\)/,
    ],
  ];
  for (const [args, message] of cases) {
    test(`echod-bench ${args.join(" ")} -> exit 2, one line`, async () => {
      const run = await runBench(args);
      expect(run.code).toBe(2);
      expect(run.stdout).toBe("");
      expect(run.stderr).toMatch(message);
      expect(run.stderr.trim().split("\n")).toHaveLength(1);
      expect(run.stderr).toStartWith("echod-bench: ");
    });
  }

  test("a --metrics-url that cannot be scraped is one line and exit 1, before any load", async () => {
    const run = await runBench([
      "127.0.0.1:9",
      "--metrics-url",
      "http://127.0.0.1:9/metrics",
      "-d",
      "1",
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toMatch(
      /^echod-bench: cannot scrape --metrics-url http:\/\/127\.0\.0\.1:9\/metrics: /,
    );
  });
});

describe("good flags", () => {
  test("defaults: 10 connections, 64 B, pipelining 1, 10 s, closed loop", () => {
    expect(options(["localhost:7007"])).toMatchObject({
      host: "localhost",
      port: 7007,
      connections: 10,
      size: 64,
      pipelining: 1,
      duration: 10,
      amount: null,
      rate: null,
      churn: false,
      workers: 1,
      timeout: 10,
      warmup: 0,
      progress: false,
    });
  });

  test("units and IPv6 targets", () => {
    expect(options(["[::1]:9000", "-s", "4KiB", "-d", "250ms", "--warmup", "1m"])).toMatchObject({
      host: "::1",
      port: 9000,
      size: 4096,
      duration: 0.25,
      warmup: 60,
    });
  });

  test("workers split connections, rate and amount without losing any", () => {
    const parts = engineOptions(options(["h:1", "-c", "7", "-w", "3", "-R", "700", "-a", "1000"]));
    expect(parts.map((p) => p.connections)).toEqual([3, 2, 2]);
    expect(parts.map((p) => p.rate)).toEqual([300, 200, 200]);
    expect(parts.reduce((s, p) => s + (p.amount ?? 0), 0)).toBe(1000);
    expect(parts.map((p) => p.firstConnection)).toEqual([0, 3, 5]);
  });

  test("--help lists every flag and the error classes", async () => {
    const run = await runBench(["--help"]);
    expect(run.code).toBe(0);
    for (const flag of [
      "--connections",
      "--size",
      "--pipelining",
      "--duration",
      "--amount",
      "--warmup",
      "--timeout",
      "--workers",
      "--rate",
      "--churn",
      "--json",
      "--title",
      "--metrics-url",
    ]) {
      expect(run.stdout).toContain(flag);
    }
    expect(run.stdout).toContain("mismatch (");
  });
});
