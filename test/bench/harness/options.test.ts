/**
 * The harness's command line: bad flags get one line naming the flag and the
 * value and exit 2 (checked by spawning the CLI, as a user would); good ones
 * become frozen options with autocannon-style defaults.
 */
import { describe, expect, test } from "bun:test";
import { parseBenchCli } from "../../../bench/harness/options.ts";
import { engineOptions } from "../../../bench/harness/workers.ts";
import { EchodError } from "../../../src/errors.ts";
import { runBench } from "../helpers.ts";

function options(args: string[], isTTY = false) {
  const cli = parseBenchCli(args, isTTY);
  if (cli.kind !== "run") throw new Error("expected options");
  return cli.options;
}

describe("bad flags", () => {
  const cases: [string[], RegExp][] = [
    [["127.0.0.1"], /invalid target "127\.0\.0\.1": must be host:port/],
    [["127.0.0.1:70000"], /invalid target "127\.0\.0\.1:70000"/],
    [["127.0.0.1:7007", "-c", "0"], /invalid --connections "0": must be a decimal integer from 1/],
    [["127.0.0.1:7007", "-s", "big"], /invalid --size "big": must be a size/],
    [["127.0.0.1:7007", "-d", "-3"], /invalid --duration "-3"/],
    [
      ["127.0.0.1:7007", "-d", "5", "-a", "100"],
      /invalid --amount "100": give --duration or --amount, not both/,
    ],
    [["127.0.0.1:7007", "-R", "fast"], /invalid --rate "fast": must be a decimal number above 0/],
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

/** The one-line usage error `parseBenchCli` throws for `args`; fails the test if they are accepted. */
function rejection(args: string[]): string {
  try {
    parseBenchCli(args, false);
  } catch (error) {
    if (error instanceof EchodError && error.code === "E_USAGE" && error.exitCode === 2) {
      return error.message;
    }
    throw error;
  }
  throw new Error(`accepted: echod-bench ${args.join(" ")}`);
}

describe("strict values, each flag once (in process)", () => {
  const T = "127.0.0.1:7007";
  const cases: [string[], string][] = [
    [[T, "--json=maybe"], 'invalid --json "maybe": must be true or false'],
    [[T, "--churn=no"], 'invalid --churn "no": must be true or false'],
    [[T, "--progress=1"], 'invalid --progress "1": must be true or false'],
    [[T, "-j=yes"], 'invalid --json "yes": must be true or false'],
    [
      [T, "-c", "0x10"],
      'invalid --connections "0x10": must be a decimal integer from 1 to 1000000',
    ],
    [[T, "-c", " 5"], 'invalid --connections " 5": must be a decimal integer from 1 to 1000000'],
    [[T, "-a", "1e3"], 'invalid --amount "1e3": must be a decimal integer from 1 to 1000000000000'],
    [
      [T, "-R", "1e3"],
      'invalid --rate "1e3": must be a decimal number above 0, such as 1000 or 2.5',
    ],
    [
      [T, "-R", "0x10"],
      'invalid --rate "0x10": must be a decimal number above 0, such as 1000 or 2.5',
    ],
    [[T, "-R", ".5"], 'invalid --rate ".5": must be a decimal number above 0, such as 1000 or 2.5'],
    [
      [T, "-d", "1e1"],
      'invalid --duration "1e1": must be above 0 seconds (at most a day), such as 10, 1.5 or 250ms',
    ],
    [
      [T, "-s", "0x40"],
      'invalid --size "0x40": must be a size from 1 byte to 64MiB, such as 64, 4KiB or 1MiB',
    ],
    [
      ["127.0.0.1:07007"],
      'invalid target "127.0.0.1:07007": must be host:port with a port from 1 to 65535, such as 127.0.0.1:7007 or [::1]:7007',
    ],
    [
      [T, "-c", "5", "-c", "6"],
      "--connections given more than once (-c 5, -c 6): give each option once",
    ],
    [
      [T, "--duration", "1", "-d2"],
      "--duration given more than once (--duration 1, -d2): give each option once",
    ],
    [[T, "--json", "-j"], "--json given more than once (--json, -j): give each option once"],
    [
      [T, "--progress", "--no-progress"],
      "--progress given more than once (--progress, --no-progress): give each option once",
    ],
    [[T, "127.0.0.1:7008"], 'unexpected argument "127.0.0.1:7008"'],
  ];
  for (const [args, message] of cases) {
    test(`echod-bench ${args.join(" ")} is a usage error`, () => {
      const got = rejection(args);
      console.log(got);
      expect(got).toBe(message);
    });
  }

  test("switches take true and false in every form, and grouped letters still work", () => {
    const seen = [
      options(["h:1", "--json=true"]).json,
      options(["h:1", "--json=false"]).json,
      options(["h:1", "--no-json"]).json,
      options(["h:1", "--json", "false"]).json,
      options(["h:1", "--progress=false"], true).progress,
    ];
    const grouped = options(["h:1", "-jc3"]);
    console.log(
      `json forms -> ${seen.join(", ")}; -jc3 -> json ${grouped.json}, c ${grouped.connections}`,
    );
    expect(seen).toEqual([true, false, false, false, false]);
    expect([grouped.json, grouped.connections]).toEqual([true, 3]);
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
