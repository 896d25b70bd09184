/**
 * The `echod` command line, spawned as a user runs it: bad input gets one
 * line naming the option and the value, and exit code 2; listen failures
 * name host and port and exit 1; --help and --version tell the truth.
 */
import { describe, expect, test } from "bun:test";
import net from "node:net";
import { envName, OPTIONS } from "../src/cli.ts";
import { DEFAULTS } from "../src/config.ts";
import { VERSION } from "../src/version.ts";
import { expectUsageError, MAIN, runEchod, spawnEchod } from "./helpers/spawn-echod.ts";

const BAD_INPUT: [string[], RegExp][] = [
  [["--bogus"], /unknown option --bogus/],
  [["70000"], /invalid --port "70000"/],
  [["--port", "-1"], /invalid --port|unknown option/],
  [["--port", "http"], /invalid --port "http"/],
  [["8080", "--port", "9090"], /contradictory ports.*"8080".*"9090"/],
  [["--max-connections", "0"], /invalid --max-connections "0"/],
  [["--max-connections", "many"], /invalid --max-connections "many"/],
  [["--max-buffer", "-5"], /invalid --max-buffer "-5"/],
  [["--max-buffer", "lots"], /invalid --max-buffer "lots"/],
  [["--max-buffer", "10"], /invalid --max-buffer "10": must be at least 1024/],
  [["--idle-timeout", "soon"], /invalid --idle-timeout "soon"/],
  [["--idle-timeout", "-3"], /invalid --idle-timeout|unknown option/],
  [["--shutdown-timeout", "forever"], /invalid --shutdown-timeout "forever"/],
  [["--log-level", "loud"], /invalid --log-level "loud"/],
  [["--log-format", "xml"], /invalid --log-format "xml"/],
  [["--metrics-port", "7007"], /invalid --metrics-port "7007".*cannot share the echo port/],
  [["7007", "extra"], /unexpected argument "extra"|unknown option/],
];

describe("bad input", () => {
  for (const [args, message] of BAD_INPUT) {
    test(`echod ${args.join(" ")} exits 2 with one line naming the value`, async () => {
      await expectUsageError(args, message);
    });
  }

  test("a bad value from the environment names the variable", async () => {
    const { code, stderr } = await runEchod([], { ECHOD_MAX_BUFFER: "huge" });
    expect(code).toBe(2);
    expect(stderr.trim()).toBe(
      'echod: invalid ECHOD_MAX_BUFFER "huge": must be a size such as 65536, 64KiB or 1MiB',
    );
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
    // As root, drop to nobody for this one run, as an unprivileged user would start echod.
    const asUser =
      process.getuid?.() === 0
        ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
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
    for (const option of OPTIONS) {
      const line = stdout.slice(stdout.indexOf(`--${option.flag} `));
      expect(stdout).toContain(`--${option.flag}`);
      expect(line.replace(/\s+/g, " ")).toContain(`[env: ${envName(option.flag)}]`);
    }
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
