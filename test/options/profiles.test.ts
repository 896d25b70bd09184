/**
 * `--profile NAME:PORT:KEY=VALUE,...`: the parser, the flag given several
 * times and through ECHOD_PROFILE, and three profile ports on one echod,
 * each with its own faults and its own `listener` label in /metrics.
 */
import { describe, expect, test } from "bun:test";
import { portOf } from "../../bench/common/spawn-echod.ts";
import { parseCli } from "../../src/cli.ts";
import { resolveConfig } from "../../src/config.ts";
import { NO_FAULTS } from "../../src/options/fault-settings.ts";
import { profiles } from "../../src/options/profiles.ts";
import { echoOnce } from "../helpers/net-client.ts";
import { parseSamples, sample, scrape } from "../helpers/prom-text.ts";
import { LOOPBACK_WITH_ADMIN, runEchod, spawnKilledAfterEach } from "../helpers/spawn-echod.ts";

const spawnEchod = spawnKilledAfterEach();

describe("the --profile parser", () => {
  test("NAME:PORT, then fault flags with the flags' values", () => {
    expect(profiles.read(["slow:7008:delay=200:50,slice=1KiB", "clean:7009"], "--profile")).toEqual(
      [
        {
          name: "slow",
          port: 7008,
          faults: { ...NO_FAULTS, delay: { ms: 200, jitterMs: 50 }, slice: 1024 },
        },
        { name: "clean", port: 7009, faults: NO_FAULTS },
      ],
    );
    // ECHOD_PROFILE holds several, separated by white space.
    expect(profiles.read("a:1 b:2:fault-rate=0.5", "ECHOD_PROFILE").map((p) => p.name)).toEqual([
      "a",
      "b",
    ]);
  });

  // biome-ignore format: a table, one bad profile a row
  const BAD: [string, string][] = [
    ["Slow:7008", "the name must be lower-case letters"],
    ["tcp:7008", "(not tcp, tls, unix, udp)"],
    ["slow", 'invalid --profile slow: port "": must be a decimal integer from 0 to 65535'],
    ["slow:70000", 'invalid --profile slow: port "70000"'],
    ["slow:7008:delay", '"delay" is not KEY=VALUE'],
    ["slow:7008:latency=5", 'invalid --profile slow: latency "5": is not a fault'],
    ["slow:7008:delay=soon", 'invalid --profile slow: delay "soon": must be milliseconds'],
  ];
  for (const [text, message] of BAD) {
    test(`${text} is refused naming what is wrong`, () => {
      expect(() => profiles.read([text], "--profile")).toThrow(message);
    });
  }

  test("a name given twice, a taken port, or both cuts are refused", () => {
    expect(() => profiles.read(["a:1", "a:2"], "--profile")).toThrow(
      "profile name a is given twice",
    );
    expect(() => resolveConfig({ port: 7007, profile: ["a:7007"] })).toThrow(
      'invalid --profile "a": port 7007 is taken by --port',
    );
    expect(() => resolveConfig({ profile: ["a:7100", "b:7100"] })).toThrow(
      "port 7100 is taken by --profile a",
    );
    expect(() => resolveConfig({ profile: ["a:7100:close-after=1,reset-after=1"] })).toThrow(
      'invalid --profile a: reset-after "1": cannot be combined with --profile a: close-after 1',
    );
  });

  test("the flag may be given more than once; other flags still may not", () => {
    const cli = parseCli(["--profile", "a:1", "--profile=b:2:delay=5"], {});
    expect(cli.kind === "run" && cli.options.profile).toEqual(["a:1", "b:2:delay=5"]);
    expect(() => parseCli(["--delay", "1", "--delay", "2"], {})).toThrow(
      "--delay given more than once",
    );
  });
});

test("three profile ports, each with its own faults and its own listener label", async () => {
  const echod = await spawnEchod([
    ...LOOPBACK_WITH_ADMIN,
    "--profile",
    "clean:0",
    "--profile",
    "slow:0:delay=150",
    "--profile",
    "cut:0:close-after=4",
  ]);
  const listeners = echod.started.listeners as Record<string, string>;
  expect(Object.keys(listeners)).toEqual(["tcp", "clean", "slow", "cut"]);
  const port = (name: string) => portOf(listeners[name]);
  expect(new Set(["tcp", "clean", "slow", "cut"].map(port)).size).toBe(4);

  const timed = async (name: string) => {
    const started = performance.now();
    const { received } = await echoOnce(port(name), Buffer.from("abcdefgh"));
    return { text: received.toString(), ms: performance.now() - started };
  };
  const clean = await timed("clean");
  expect(clean.text).toBe("abcdefgh");
  expect(clean.ms).toBeLessThan(150);
  const slow = await timed("slow");
  expect(slow.text).toBe("abcdefgh");
  expect(slow.ms).toBeGreaterThanOrEqual(150);
  expect((await timed("cut")).text).toBe("abcd");
  expect((await timed("tcp")).text).toBe("abcdefgh");

  const samples = parseSamples(await (await scrape(echod.metricsPort as number)).text());
  for (const name of ["tcp", "clean", "slow", "cut"]) {
    expect(sample(samples, `echod_connections_accepted_total{listener="${name}"}`)).toBe(1);
    expect(sample(samples, `echod_received_bytes_total{listener="${name}"}`)).toBe(8);
  }
  expect(sample(samples, 'echod_sent_bytes_total{listener="cut"}')).toBe(4);
  expect(sample(samples, 'echod_discarded_bytes_total{listener="cut"}')).toBe(4);
  expect(sample(samples, 'echod_faults_injected_total{listener="cut",type="close"}')).toBe(1);
  expect(sample(samples, 'echod_faults_injected_total{listener="slow",type="delay"}')).toBe(1);
  expect(sample(samples, 'echod_faults_injected_total{listener="tcp",type="delay"}')).toBe(0);
});

test("a bad --profile exits 2 with one line naming the flag and the value", async () => {
  const { code, stderr } = await runEchod(["0", "--no-metrics", "--profile", "slow:0:slice=big"]);
  expect(code).toBe(2);
  expect(stderr.trim()).toBe(
    'echod: invalid --profile slow: slice "big": must be a size such as 65536, 64KiB or 1MiB',
  );
});
