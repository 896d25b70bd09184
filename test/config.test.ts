/**
 * `resolveConfig` in process: every number has one decimal grammar (no hex,
 * exponent, leading zero, sign or whitespace), every switch takes only "true"
 * or "false", and a message names the option as the user set it: the
 * environment variable when it came from there, in cross-option checks too.
 */
import { describe, expect, test } from "bun:test";
import { type Config, type RawOptions, resolveConfig } from "../src/config.ts";
import { OPTIONS } from "../src/options.ts";
import {
  COUNT,
  DELAY,
  FRACTION,
  MODE,
  PORT,
  rejection,
  SECONDS,
  SIZE,
  WORKERS,
} from "./helpers/usage.ts";

type Labels = { readonly [K in keyof Config]?: string };

/** The usage error `resolveConfig` throws for these options (fails the test if it accepts them). */
function refusal(raw: RawOptions, labels: Labels = {}): string {
  return rejection(JSON.stringify(raw), () => resolveConfig(raw, labels));
}

/** Per flag, why it refuses a number and the forms it refuses: each message is `invalid --flag "value": why`. */
const NOT_DECIMAL: [string, string, string[]][] = [
  ["port", PORT, ["0x50", "1e3", " 80", "80 ", "080", "+80", ""]],
  ["metrics-port", PORT, ["0o17"]],
  ["udp-port", PORT, [" 9007"]],
  ["max-connections", "must be a decimal integer of at least 1", ["1e4"]],
  ["udp-rate-limit", COUNT, ["0x10"]],
  ["workers", WORKERS, ["0x2", "2.0"]],
  ["max-buffer", SIZE, ["1e3", "0x400", " 64KiB", "64 KiB", "2048.5"]],
  ["close-after", SIZE, ["0.5"]],
  ["slice", SIZE, [".5KiB"]],
  ["idle-timeout", SECONDS, ["1e3", ".5"]],
  ["shutdown-timeout", SECONDS, ["10 "]],
  ["fault-rate", FRACTION, ["0x1", ".5", "1e-1", "1.5", "", " 0.5"]],
  ["delay", DELAY, [" 5", "0x10", "1e2:5", "100:5:5"]],
  ["unix-mode", MODE, [" 0600"]],
];

/** The option set by `--flag`, as `resolveConfig` takes it. */
function keyOf(flag: string): keyof RawOptions {
  const option = OPTIONS.find((o) => o.flag === flag);
  if (option === undefined) throw new Error(`no option --${flag}`);
  return option.key;
}

describe("numbers are plain decimals", () => {
  for (const [flag, why, values] of NOT_DECIMAL) {
    for (const value of values) {
      test(`--${flag} ${JSON.stringify(value)} is refused`, () => {
        const got = refusal({ [keyOf(flag)]: value });
        console.log(got);
        expect(got).toBe(`invalid --${flag} "${value}": ${why}`);
      });
    }
  }

  test("decimal values, fractions and units still parse exactly", () => {
    const config = resolveConfig({
      port: "0",
      maxBuffer: "1.5KiB",
      closeAfter: "1.1KB",
      idleTimeout: "0.5",
      faultRate: "0.25",
      delay: "0.5:10",
      workers: "2",
    });
    console.log(
      `maxBuffer 1.5KiB = ${config.maxBuffer} B, closeAfter 1.1KB = ${config.closeAfter} B, faultRate ${config.faultRate}`,
    );
    expect(config).toMatchObject({
      port: 0,
      maxBuffer: 1536,
      closeAfter: 1100,
      idleTimeout: 0.5,
      faultRate: 0.25,
      delay: { ms: 0.5, jitterMs: 10 },
      workers: 2,
    });
  });
});

describe("switches take only true or false", () => {
  for (const value of ["maybe", "yes", "no", "1", "0", "on", "TRUE", " true", ""]) {
    test(`metrics ${JSON.stringify(value)} is refused, from a flag or the environment`, () => {
      expect(refusal({ metrics: value })).toBe(
        `invalid --metrics ${JSON.stringify(value)}: must be true or false`,
      );
      expect(refusal({ logData: value }, { logData: "ECHOD_LOG_DATA" })).toBe(
        `invalid ECHOD_LOG_DATA ${JSON.stringify(value)}: must be true or false`,
      );
    });
  }

  test('"true" and "false" are read as such', () => {
    const on = resolveConfig({ metrics: "true", logData: "true" });
    const off = resolveConfig({ metrics: "false", logData: "false" });
    console.log(`"true" -> ${on.metrics}, "false" -> ${off.metrics}`);
    expect([on.metrics, on.logData, off.metrics, off.logData]).toEqual([true, true, false, false]);
  });
});

describe("a message names what the user set", () => {
  test("the admin port clash names ECHOD_METRICS_PORT when it came from the environment", () => {
    expect(refusal({ metricsPort: "7007" }, { metricsPort: "ECHOD_METRICS_PORT" })).toBe(
      'invalid ECHOD_METRICS_PORT "7007": the admin server cannot share the echo port (--port 7007)',
    );
  });

  test("and names ECHOD_PORT for the other side of the clash", () => {
    const message = refusal(
      { port: "9000", metricsPort: "9000" },
      { port: "ECHOD_PORT", metricsPort: "ECHOD_METRICS_PORT" },
    );
    console.log(message);
    expect(message).toBe(
      'invalid ECHOD_METRICS_PORT "9000": the admin server cannot share the echo port (ECHOD_PORT 9000)',
    );
  });

  test("the admin port clash names --metrics-port when it came from the command line", () => {
    expect(refusal({ metricsPort: "7007" })).toBe(
      'invalid --metrics-port "7007": the admin server cannot share the echo port (--port 7007)',
    );
  });

  test("TLS and fault combinations name the variables too", () => {
    expect(
      refusal(
        { tlsPort: "8443", tlsCert: "c.pem" },
        { tlsPort: "ECHOD_TLS_PORT", tlsCert: "ECHOD_TLS_CERT" },
      ),
    ).toBe('invalid ECHOD_TLS_PORT "8443": needs --tls-key (and ECHOD_TLS_CERT)');
    expect(refusal({ tlsCa: "ca.pem" }, { tlsCa: "ECHOD_TLS_CA" })).toBe(
      'invalid ECHOD_TLS_CA "ca.pem": has no effect without --tls-port',
    );
    expect(
      refusal(
        { tlsPort: "9464", tlsCert: "c", tlsKey: "k", metricsPort: "9464", port: "1" },
        { metricsPort: "ECHOD_METRICS_PORT" },
      ),
    ).toBe('invalid --tls-port "9464": cannot share the admin port (ECHOD_METRICS_PORT)');
    expect(
      refusal({ closeAfter: "50", resetAfter: "100" }, { closeAfter: "ECHOD_CLOSE_AFTER" }),
    ).toBe(
      'invalid --reset-after "100": cannot be combined with ECHOD_CLOSE_AFTER 50: the first one reached ends the connection, the other never applies',
    );
  });
});

describe("options that contradict one another", () => {
  const CLASHES: [RawOptions, string][] = [
    [{ tlsPort: "8443" }, 'invalid --tls-port "8443": needs --tls-cert (and --tls-key)'],
    [
      { tlsPort: "8443", tlsCert: "c.pem" },
      'invalid --tls-port "8443": needs --tls-key (and --tls-cert)',
    ],
    [{ tlsCert: "c.pem" }, 'invalid --tls-cert "c.pem": has no effect without --tls-port'],
    [{ tlsKey: "k.pem" }, 'invalid --tls-key "k.pem": has no effect without --tls-port'],
    [{ tlsCa: "ca.pem" }, 'invalid --tls-ca "ca.pem": has no effect without --tls-port'],
    [
      { port: "7007", tlsPort: "7007", tlsCert: "c", tlsKey: "k" },
      'invalid --tls-port "7007": cannot share the TCP echo port (--port)',
    ],
    [
      { tlsPort: "9464", tlsCert: "c", tlsKey: "k" },
      'invalid --tls-port "9464": cannot share the admin port (--metrics-port)',
    ],
    [
      { proxyProtocolFrom: "10.0.0.0/8,::1" },
      'invalid --proxy-protocol-from "10.0.0.0/8,::1": has no effect without --proxy-protocol',
    ],
    [
      { closeAfter: "50", resetAfter: "100" },
      'invalid --reset-after "100": cannot be combined with --close-after 50: the first one reached ends the connection, the other never applies',
    ],
    [
      { workers: "4", maxConnections: "2" },
      'invalid --max-connections "2": must be at least the number of workers (4): each worker gets a share',
    ],
    [
      { port: "9000", metricsPort: "9000", host: "::", metricsHost: "127.0.0.1" },
      'invalid --metrics-port "9000": the admin server cannot share the echo port (--port 9000)',
    ],
  ];
  for (const [raw, message] of CLASHES) {
    test(`${JSON.stringify(raw)} is refused naming both options`, () => {
      expect(refusal(raw)).toBe(message);
    });
  }

  test("the same port is fine where it cannot clash", () => {
    const config = (raw: RawOptions) => resolveConfig(raw);
    // Distinct addresses, the admin server off, or the kernel choosing (0) each avoid a clash.
    expect(
      config({ port: "9000", metricsPort: "9000", host: "127.0.0.1", metricsHost: "127.0.0.2" })
        .metricsPort,
    ).toBe(9000);
    expect(config({ port: "9464", metrics: "false" }).port).toBe(9464);
    expect(config({ port: "0", metricsPort: "0" }).port).toBe(0);
    expect(
      config({ port: "0", tlsPort: "0", metricsPort: "0", tlsCert: "c", tlsKey: "k" }).tlsPort,
    ).toBe(0);
    expect(config({ tlsPort: "9464", tlsCert: "c", tlsKey: "k", metrics: "false" }).tlsPort).toBe(
      9464,
    );
  });

  test("the result is frozen", () => {
    expect(Object.isFrozen(resolveConfig({ port: "1" }))).toBe(true);
  });
});
