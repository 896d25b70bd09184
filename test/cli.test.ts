/**
 * The `echod` command line: bad input gets one line naming the option (or
 * the variable) and the value, and exit code 2, checked in process through
 * `parseCli` and `resolveConfig`; each option is given once; a switch takes
 * the same values as a flag and as a variable. Spawned as a user runs it:
 * listen failures name host and port and exit 1; --help and --version tell
 * the truth; the environment configures and flags win.
 */
import { describe, expect, test } from "bun:test";
import net from "node:net";
import { parseCli } from "../src/cli.ts";
import { type Config, DEFAULTS, resolveConfig } from "../src/config.ts";
import { envName, OPTIONS, shownDefault } from "../src/options.ts";
import { VERSION } from "../src/version.ts";
import { MAIN, runEchod, spawnEchod } from "./helpers/spawn-echod.ts";
import { expectRefusedRun, PORT, rejection } from "./helpers/usage.ts";

/** The one-line usage error that parsing `argv` (and `env`) ends in; fails the test if it is accepted. */
function refusal(argv: string[], env: Record<string, string> = {}): string {
  return rejection(`echod ${argv.join(" ")}`, () => {
    const cli = parseCli(argv, env);
    if (cli.kind !== "output") resolveConfig(cli.options, cli.labels);
  });
}

/** The config that parsing `argv` (and `env`) gives. */
function configOf(argv: string[], env: Record<string, string> = {}): Config {
  const cli = parseCli(argv, env);
  if (cli.kind === "output") throw new Error(`printed instead: ${cli.text}`);
  return resolveConfig(cli.options, cli.labels);
}

const BAD_INPUT: [string[], string][] = [
  [["--bogus"], "unknown option --bogus (see echod --help)"],
  [["70000"], `invalid PORT "70000": ${PORT}`],
  [["--port", "-1"], `invalid --port "-1": ${PORT}`],
  [["--port", "http"], `invalid --port "http": ${PORT}`],
  [["--port", "0x50"], `invalid --port "0x50": ${PORT}`],
  [["--port", "1e3"], `invalid --port "1e3": ${PORT}`],
  [["--port", " 80"], `invalid --port " 80": ${PORT}`],
  [["--port"], `invalid --port "": ${PORT}`],
  [["8080", "--port", "9090"], 'contradictory ports: positional "8080" and --port "9090"'],
  [
    ["--max-connections", "0"],
    'invalid --max-connections "0": must be a decimal integer of at least 1',
  ],
  [
    ["--max-connections", "many"],
    'invalid --max-connections "many": must be a decimal integer of at least 1',
  ],
  [
    ["--max-buffer", "-5"],
    'invalid --max-buffer "-5": must be a size such as 65536, 64KiB or 1MiB',
  ],
  [
    ["--max-buffer", "lots"],
    'invalid --max-buffer "lots": must be a size such as 65536, 64KiB or 1MiB',
  ],
  [
    ["--max-buffer", "1e3"],
    'invalid --max-buffer "1e3": must be a size such as 65536, 64KiB or 1MiB',
  ],
  [["--max-buffer", "10"], 'invalid --max-buffer "10": must be at least 1024 bytes'],
  [
    ["--idle-timeout", "soon"],
    'invalid --idle-timeout "soon": must be a non-negative number of seconds (or 250ms, 2m)',
  ],
  [
    ["--idle-timeout", "-3"],
    'invalid --idle-timeout "-3": must be a non-negative number of seconds (or 250ms, 2m)',
  ],
  [
    ["--shutdown-timeout", "forever"],
    'invalid --shutdown-timeout "forever": must be a non-negative number of seconds (or 250ms, 2m)',
  ],
  [
    ["--log-level", "loud"],
    'invalid --log-level "loud": must be one of fatal, error, warn, info, debug, trace, silent',
  ],
  [["--log-format", "xml"], 'invalid --log-format "xml": must be one of json, pretty'],
  [
    ["--metrics-port", "7007"],
    'invalid --metrics-port "7007": the admin server cannot share the echo port (--port 7007)',
  ],
  [
    ["7007", "--tls-port", "7007", "--tls-cert", "c", "--tls-key", "k"],
    'invalid --tls-port "7007": cannot share the TCP echo port (PORT)',
  ],
  [["7007", "extra"], 'unexpected argument "extra"'],
  [["healthcheck", "now"], 'unexpected argument "now"'],
];

describe("bad input", () => {
  for (const [args, message] of BAD_INPUT) {
    test(`echod ${args.join(" ")} is a usage error with one line naming the value`, () => {
      const got = refusal(args);
      console.log(got);
      expect(got).toBe(message);
    });
  }

  test("a bad value from the environment names the variable", async () => {
    const line =
      'echod: invalid ECHOD_MAX_BUFFER "huge": must be a size such as 65536, 64KiB or 1MiB';
    await expectRefusedRun([], { ECHOD_MAX_BUFFER: "huge" }, line);
  });
});

describe("each option is given once", () => {
  const REPEATED: [string[], string][] = [
    [["--port", "1", "--port", "2"], "--port given more than once (--port 1, --port 2)"],
    [["-p", "1", "--port=2"], "--port given more than once (-p 1, --port=2)"],
    [["-p1", "-p", "1"], "--port given more than once (-p1, -p 1)"],
    [
      ["--max-buffer", "1MiB", "--host", "::1", "--max-buffer=2MiB"],
      "--max-buffer given more than once (--max-buffer 1MiB, --max-buffer=2MiB)",
    ],
    [["--metrics", "--no-metrics"], "--metrics given more than once (--metrics, --no-metrics)"],
    [
      ["--log-data", "--log-data=true"],
      "--log-data given more than once (--log-data, --log-data=true)",
    ],
    [
      ["--metrics", "false", "--no-metrics"],
      "--metrics given more than once (--metrics false, --no-metrics)",
    ],
  ];
  for (const [args, message] of REPEATED) {
    test(`echod ${args.join(" ")} is a usage error naming the flag`, () => {
      const got = refusal(args);
      console.log(got);
      expect(got).toBe(`${message}: give each option once`);
    });
  }

  test("after --, a repeated flag is a plain argument, not a second flag", () => {
    const got = refusal(["--port", "1", "--", "--port"]);
    console.log(got);
    expect(got).toBe('unexpected argument "--port"');
  });
});

describe("switches: --x, --no-x, --x=true|false, ECHOD_X=true|false and nothing else", () => {
  const SWITCHES = [
    ["metrics", "ECHOD_METRICS"],
    ["log-data", "ECHOD_LOG_DATA"],
  ] as const;
  const key = (flag: string) => (flag === "metrics" ? "metrics" : "logData");

  for (const [text, meaning] of [
    ["true", true],
    ["false", false],
  ] as const) {
    test(`"${text}" means ${meaning} as a flag and as a variable`, () => {
      for (const [flag, env] of SWITCHES) {
        const fromFlag = configOf([`--${flag}=${text}`])[key(flag)];
        const fromEnv = configOf([], { [env]: text })[key(flag)];
        console.log(`--${flag}=${text} -> ${fromFlag}, ${env}=${text} -> ${fromEnv}`);
        expect([fromFlag, fromEnv]).toEqual([meaning, meaning]);
      }
    });
  }

  for (const text of ["maybe", "yes", "no", "1", "0", "on", "False", ""]) {
    test(`${JSON.stringify(text)} is a usage error as a flag and as a variable`, () => {
      for (const [flag, env] of SWITCHES) {
        const fromFlag = refusal([`--${flag}=${text}`]);
        const fromEnv = refusal([], { [env]: text });
        console.log(`${fromFlag} | ${fromEnv}`);
        expect(fromFlag).toBe(`invalid --${flag} ${JSON.stringify(text)}: must be true or false`);
        expect(fromEnv).toBe(`invalid ${env} ${JSON.stringify(text)}: must be true or false`);
      }
    });
  }

  test("the bare flag, --no-x and the separate true/false value", () => {
    const seen = [
      configOf(["--metrics"]).metrics,
      configOf(["--no-metrics"]).metrics,
      configOf(["--metrics", "false"]).metrics,
      configOf(["--metrics", "true"]).metrics,
    ];
    console.log(`--metrics, --no-metrics, --metrics false, --metrics true -> ${seen.join(", ")}`);
    expect(seen).toEqual([true, false, false, true]);
  });

  test("a word after a switch is the PORT argument, and its error says so", () => {
    const got = refusal(["--metrics", "maybe"]);
    console.log(got);
    expect(got).toBe(`invalid PORT "maybe": ${PORT}`);
  });
});

describe("listen failures", () => {
  test("a port already in use exits 1 naming host and port", async () => {
    const blocker = net.createServer().listen(0, "127.0.0.1");
    await new Promise((r) => blocker.once("listening", r));
    const port = (blocker.address() as net.AddressInfo).port;
    const { code, stderr } = await runEchod([String(port), "--host", "127.0.0.1", "--no-metrics"]);
    blocker.close();
    expect(code).toBe(1);
    expect(stderr.trim()).toBe(`echod: cannot listen on 127.0.0.1:${port}: address already in use`);
  });

  test("a privileged port without permission exits 1 naming host and port", async () => {
    // As root, drop the one capability that allows it for this run. Not the user:
    // a checkout under a 0700 directory (root's home) would be unreadable to nobody.
    const asUser =
      process.getuid?.() === 0
        ? ["setpriv", "--inh-caps=-net_bind_service", "--bounding-set=-net_bind_service"]
        : [];
    const proc = Bun.spawn(
      [...asUser, process.execPath, MAIN, "80", "--host", "127.0.0.1", "--no-metrics"],
      {
        stderr: "pipe",
        stdout: "pipe",
        timeout: 10_000,
      },
    );
    const stderr = await new Response(proc.stderr).text();
    expect(await proc.exited).toBe(1);
    expect(stderr.trim()).toBe(
      "echod: cannot listen on 127.0.0.1:80: permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)",
    );
  });
});

describe("help and version", () => {
  test("--help lists every option with its default and its environment variable", async () => {
    const { code, stdout } = await runEchod(["--help"]);
    expect(code).toBe(0);
    // Each option's entry runs from its line to the next option's (--help keeps the table's order);
    // an entry's line starts with `  -p, --port` or `      --host`, a wrapped line with more spaces.
    const entryStart = (flag: string, alias?: string) =>
      stdout.indexOf(`\n  ${alias === undefined ? "    " : `-${alias}, `}--${flag} `);
    OPTIONS.forEach((option, i) => {
      const next = OPTIONS[i + 1];
      const start = entryStart(option.flag, option.alias);
      const end = next === undefined ? undefined : entryStart(next.flag, next.alias);
      const entry = stdout.slice(start, end).replace(/\s+/g, " ");
      expect(start).toBeGreaterThan(-1);
      expect(entry).toContain(`[env: ${envName(option.flag)}]`);
      expect(entry).toContain(`[default: ${shownDefault(option)}]`);
    });
    expect(stdout).toContain(`[default: ${DEFAULTS.port}]`);
    expect(stdout).toContain("[default: 1MiB]");
  });

  test("--version prints the package version", async () => {
    const { code, stdout } = await runEchod(["--version"]);
    expect(code).toBe(0);
    expect(stdout.trim()).toBe(VERSION);
  });
});

describe("configuration sources", () => {
  test("the environment configures echod and flags win over it", async () => {
    const echod = await spawnEchod(["--host", "127.0.0.1", "--max-connections", "5"], {
      env: {
        ECHOD_PORT: "0",
        ECHOD_MAX_CONNECTIONS: "9",
        ECHOD_IDLE_TIMEOUT: "42",
        ECHOD_METRICS: "false",
      },
    });
    const started = echod.lines.find((l) => l.msg === "echod listening") as {
      config: Record<string, unknown>;
    };
    expect(started.config.maxConnections).toBe(5);
    expect(started.config.idleTimeout).toBe(42);
    expect(started.config.metrics).toBe(false);
    echod.kill();
    expect(await echod.exited).toBe(0);
  });

  test("the seed's form `echod PORT` listens on that port", async () => {
    const probe = net.createServer().listen(0, "127.0.0.1");
    await new Promise((r) => probe.once("listening", r));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const echod = await spawnEchod([String(port), "--host", "127.0.0.1", "--no-metrics"]);
    expect(echod.port).toBe(port);
    echod.kill();
    expect(await echod.exited).toBe(0);
  });
});
