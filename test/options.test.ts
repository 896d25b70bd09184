/**
 * The options table (src/options.ts): each option has one flag, one
 * variable and a default its own parser accepts; each parser refuses a bad
 * value with one line naming the option and the value (in process, through
 * the table, as resolveConfig calls it). Two cases still run the real
 * command line, to show the line reaches stderr with exit 2.
 */
import { describe, expect, test } from "bun:test";
import { availableParallelism } from "node:os";
import { resolveConfig } from "../src/config.ts";
import { DEFAULTS, envName, OPTION_TABLE, OPTIONS, type OptionKey } from "../src/options.ts";
import {
  COUNT,
  DELAY,
  expectRefusedRun,
  FRACTION,
  HOST,
  MODE,
  PATH,
  PORT,
  rejection,
  SIZE,
  WORKERS,
} from "./helpers/usage.ts";

/** The usage error the option's parser throws for `value` under its flag (fails the test if accepted). */
function refusal(key: OptionKey, value: string): string {
  const flag = `--${OPTION_TABLE[key].flag}`;
  return rejection(`${flag} ${JSON.stringify(value)}`, () =>
    OPTION_TABLE[key].parser.read(value, flag),
  );
}

describe("the table", () => {
  test("flags, aliases and variables are each unique, and each variable is ECHOD_ and the flag", () => {
    const names = OPTIONS.flatMap((o) => [o.flag, ...(o.alias === undefined ? [] : [o.alias])]);
    expect(new Set(names).size).toBe(names.length);
    const vars = OPTIONS.map((o) => envName(o.flag));
    expect(new Set(vars).size).toBe(vars.length);
    expect(envName("max-connections-per-ip")).toBe("ECHOD_MAX_CONNECTIONS_PER_IP");
    for (const o of OPTIONS) expect(o.flag).toMatch(/^[a-z]+(-[a-z]+)*$/);
  });

  test("every default is a value its own parser accepts unchanged", () => {
    for (const o of OPTIONS) {
      expect(o.parser.read(o.default, `--${o.flag}`)).toEqual(o.default);
    }
    expect(resolveConfig({})).toEqual(DEFAULTS);
  });

  test("the defaults, as a user meets them", () => {
    console.log(JSON.stringify(DEFAULTS));
    expect(DEFAULTS).toEqual({
      port: 7007,
      host: "0.0.0.0",
      maxConnections: 10_000,
      maxConnectionsPerIp: 0,
      idleTimeout: 300,
      maxBuffer: 1024 * 1024,
      shutdownTimeout: 10,
      shutdownDelay: 0,
      workers: 1,
      tlsPort: null,
      tlsCert: null,
      tlsKey: null,
      tlsCa: null,
      unix: null,
      unixMode: 0o660,
      udpPort: null,
      udpMaxSize: 65_507,
      udpRateLimit: 100,
      framing: "none",
      maxMessageSize: 1024 * 1024,
      proxyProtocol: "off",
      proxyProtocolFrom: [],
      proxyProtocolTimeout: 5,
      allow: [],
      deny: [],
      acceptRate: null,
      delay: { ms: 0, jitterMs: 0 },
      bandwidth: 0,
      slice: 0,
      closeAfter: 0,
      resetAfter: 0,
      blackhole: false,
      timeout: 0,
      slowClose: 0,
      corrupt: 0,
      limitTime: 0,
      faultRate: 1,
      banner: null,
      whoamiLine: null,
      keepalive: 0,
      nagle: false,
      maxMemory: "auto",
      metrics: true,
      metricsPort: 9464,
      metricsHost: "0.0.0.0",
      logLevel: "info",
      logFormat: "json",
      logData: false,
      control: false,
      controlToken: null,
      faults: null,
      profile: [],
    });
    expect(Object.isFrozen(DEFAULTS)).toBe(true);
    expect(Object.isFrozen(DEFAULTS.delay)).toBe(true);
  });

  test("only blackhole, nagle, metrics, log-data and control are switches; only port has a one-letter alias", () => {
    expect(OPTIONS.filter((o) => o.switch).map((o) => o.flag)).toEqual([
      "blackhole",
      "nagle",
      "metrics",
      "log-data",
      "control",
    ]);
    expect(OPTIONS.filter((o) => o.alias !== undefined).map((o) => [o.flag, o.alias])).toEqual([
      ["port", "p"],
    ]);
  });
});

/** Per option, why it refuses a value and the values it refuses: each message is `invalid --flag "value": why`. */
const BAD_VALUES: [OptionKey, string, string[]][] = [
  ["tlsPort", PORT, ["99999"]],
  ["tlsCert", PATH, [" "]],
  ["unix", PATH, ["  "]],
  ["unixMode", MODE, ["rw", "0999"]],
  ["udpPort", PORT, ["udp"]],
  ["udpMaxSize", "must be at most 65507 bytes", ["70000"]],
  ["udpMaxSize", "must be at least 1 bytes", ["0"]],
  ["udpRateLimit", COUNT, ["-1", "fast"]],
  ["framing", "must be one of none, line, length-prefixed", ["json"]],
  ["maxMessageSize", SIZE, ["big"]],
  ["maxMessageSize", "must be at most 4294967295 bytes", ["5GiB"]],
  ["delay", DELAY, ["soon", "100:"]],
  ["delay", "must add up to at most 3600000 ms (one hour)", ["3600000:1"]],
  ["bandwidth", SIZE, ["fast"]],
  ["slice", SIZE, ["-1"]],
  ["closeAfter", SIZE, ["x"]],
  ["faultRate", FRACTION, ["1.5", "often"]],
  ["maxConnectionsPerIp", COUNT, ["some"]],
  ["host", HOST, ["two words"]],
  ["metricsHost", HOST, [""]],
  ["workers", WORKERS, ["0", "257"]],
  ["logLevel", "must be one of fatal, error, warn, info, debug, trace, silent", ["loud"]],
];

describe("bad listener, framing and fault values", () => {
  for (const [key, why, values] of BAD_VALUES) {
    const flag = `--${OPTION_TABLE[key].flag}`;
    for (const value of values) {
      test(`${flag} ${JSON.stringify(value)} is refused naming the flag and the value`, () => {
        expect(refusal(key, value)).toBe(`invalid ${flag} "${value}": ${why}`);
      });
    }
  }

  test("echod --udp-max-size 70000 exits 2 with that one line on stderr", async () => {
    const line = 'echod: invalid --udp-max-size "70000": must be at most 65507 bytes';
    await expectRefusedRun(["--udp-max-size", "70000"], {}, line);
  });

  test("a bad value from the environment names the variable", async () => {
    const line = `echod: invalid ECHOD_FAULT_RATE "2": ${FRACTION}`;
    await expectRefusedRun([], { ECHOD_FAULT_RATE: "2" }, line);
  });
});

describe("good values", () => {
  test("parse into the config, with everything new off by default", () => {
    const defaults = resolveConfig({});
    expect(defaults.tlsPort).toBeNull();
    expect(defaults.unix).toBeNull();
    expect(defaults.udpPort).toBeNull();
    expect(defaults.framing).toBe("none");
    expect(defaults.delay).toEqual({ ms: 0, jitterMs: 0 });
    expect(defaults.unixMode).toBe(0o660);
    expect(defaults.maxMessageSize).toBe(1024 * 1024);

    const config = resolveConfig({
      delay: "200:50",
      bandwidth: "64KiB",
      unixMode: "0600",
      udpPort: "9007",
      faultRate: "0.25",
      maxMessageSize: "4KiB",
      tlsPort: "off",
    });
    expect(config.delay).toEqual({ ms: 200, jitterMs: 50 });
    expect(config.bandwidth).toBe(65_536);
    expect(config.unixMode).toBe(0o600);
    expect(config.udpPort).toBe(9007);
    expect(config.faultRate).toBe(0.25);
    expect(config.maxMessageSize).toBe(4096);
    expect(config.tlsPort).toBeNull();
  });

  test("off, none and empty turn an optional listener off; [::1] is read as ::1", () => {
    for (const off of ["off", "none", ""]) {
      expect(resolveConfig({ udpPort: off, unix: off, tlsCa: off })).toMatchObject({
        udpPort: null,
        unix: null,
        tlsCa: null,
      });
    }
    expect(resolveConfig({ host: "[::1]" }).host).toBe("::1");
    expect(resolveConfig({ unixMode: "600" }).unixMode).toBe(0o600);
    expect(resolveConfig({ workers: "auto", maxConnections: "100000" }).workers).toBe(
      availableParallelism(),
    );
  });
});
