/**
 * `resolveConfig` in process: every number has one decimal grammar (no hex,
 * exponent, leading zero, sign or whitespace), every switch takes only "true"
 * or "false", and a message names the option as the user set it: the
 * environment variable when it came from there, in cross-option checks too.
 */
import { describe, expect, test } from "bun:test";
import { type Config, type RawOptions, resolveConfig } from "../src/config.ts";
import { EchodError } from "../src/errors.ts";

type Labels = { readonly [K in keyof Config]?: string };

/** The usage error `resolveConfig` throws for these options (fails the test if it accepts them). */
function rejection(raw: RawOptions, labels: Labels = {}): string {
  try {
    resolveConfig(raw, labels);
  } catch (error) {
    if (error instanceof EchodError && error.code === "E_USAGE" && error.exitCode === 2) {
      return error.message;
    }
    throw error;
  }
  throw new Error(`accepted ${JSON.stringify(raw)}`);
}

const PORT = "must be a decimal integer from 0 to 65535";
const SIZE = "must be a size such as 65536, 64KiB or 1MiB";
const SECONDS = "must be a non-negative number of seconds (or 250ms, 2m)";
const FRACTION = "must be a decimal number from 0 to 1, such as 0.25";
const DELAY = "must be milliseconds, optionally with jitter: 200 or 200:50";

const NOT_DECIMAL: [RawOptions, string][] = [
  [{ port: "0x50" }, `invalid --port "0x50": ${PORT}`],
  [{ port: "1e3" }, `invalid --port "1e3": ${PORT}`],
  [{ port: " 80" }, `invalid --port " 80": ${PORT}`],
  [{ port: "80 " }, `invalid --port "80 ": ${PORT}`],
  [{ port: "080" }, `invalid --port "080": ${PORT}`],
  [{ port: "+80" }, `invalid --port "+80": ${PORT}`],
  [{ port: "" }, `invalid --port "": ${PORT}`],
  [{ metricsPort: "0o17" }, `invalid --metrics-port "0o17": ${PORT}`],
  [{ udpPort: " 9007" }, `invalid --udp-port " 9007": ${PORT}`],
  [
    { maxConnections: "1e4" },
    'invalid --max-connections "1e4": must be a decimal integer of at least 1',
  ],
  [
    { udpRateLimit: "0x10" },
    'invalid --udp-rate-limit "0x10": must be a decimal integer of at least 0',
  ],
  [{ workers: "0x2" }, 'invalid --workers "0x2": must be auto or a decimal integer from 1 to 256'],
  [{ workers: "2.0" }, 'invalid --workers "2.0": must be auto or a decimal integer from 1 to 256'],
  [{ maxBuffer: "1e3" }, `invalid --max-buffer "1e3": ${SIZE}`],
  [{ maxBuffer: "0x400" }, `invalid --max-buffer "0x400": ${SIZE}`],
  [{ maxBuffer: " 64KiB" }, `invalid --max-buffer " 64KiB": ${SIZE}`],
  [{ maxBuffer: "64 KiB" }, `invalid --max-buffer "64 KiB": ${SIZE}`],
  [{ maxBuffer: "2048.5" }, `invalid --max-buffer "2048.5": ${SIZE}`],
  [{ closeAfter: "0.5" }, `invalid --close-after "0.5": ${SIZE}`],
  [{ slice: ".5KiB" }, `invalid --slice ".5KiB": ${SIZE}`],
  [{ idleTimeout: "1e3" }, `invalid --idle-timeout "1e3": ${SECONDS}`],
  [{ idleTimeout: ".5" }, `invalid --idle-timeout ".5": ${SECONDS}`],
  [{ shutdownTimeout: "10 " }, `invalid --shutdown-timeout "10 ": ${SECONDS}`],
  [{ faultRate: "0x1" }, `invalid --fault-rate "0x1": ${FRACTION}`],
  [{ faultRate: ".5" }, `invalid --fault-rate ".5": ${FRACTION}`],
  [{ faultRate: "1e-1" }, `invalid --fault-rate "1e-1": ${FRACTION}`],
  [{ faultRate: "1.5" }, `invalid --fault-rate "1.5": ${FRACTION}`],
  [{ faultRate: "" }, `invalid --fault-rate "": ${FRACTION}`],
  [{ faultRate: " 0.5" }, `invalid --fault-rate " 0.5": ${FRACTION}`],
  [{ delay: " 5" }, `invalid --delay " 5": ${DELAY}`],
  [{ delay: "0x10" }, `invalid --delay "0x10": ${DELAY}`],
  [{ delay: "1e2:5" }, `invalid --delay "1e2:5": ${DELAY}`],
  [{ delay: "100:5:5" }, `invalid --delay "100:5:5": ${DELAY}`],
  [{ unixMode: " 0600" }, 'invalid --unix-mode " 0600": must be an octal file mode such as 0660'],
];

describe("numbers are plain decimals", () => {
  for (const [raw, message] of NOT_DECIMAL) {
    test(`${JSON.stringify(raw)} is refused`, () => {
      const got = rejection(raw);
      console.log(got);
      expect(got).toBe(message);
    });
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
      expect(rejection({ metrics: value })).toBe(
        `invalid --metrics ${JSON.stringify(value)}: must be true or false`,
      );
      expect(rejection({ logData: value }, { logData: "ECHOD_LOG_DATA" })).toBe(
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
    expect(rejection({ metricsPort: "7007" }, { metricsPort: "ECHOD_METRICS_PORT" })).toBe(
      'invalid ECHOD_METRICS_PORT "7007": the admin server cannot share the echo port (--port 7007)',
    );
  });

  test("and names ECHOD_PORT for the other side of the clash", () => {
    const message = rejection(
      { port: "9000", metricsPort: "9000" },
      { port: "ECHOD_PORT", metricsPort: "ECHOD_METRICS_PORT" },
    );
    console.log(message);
    expect(message).toBe(
      'invalid ECHOD_METRICS_PORT "9000": the admin server cannot share the echo port (ECHOD_PORT 9000)',
    );
  });

  test("the admin port clash names --metrics-port when it came from the command line", () => {
    expect(rejection({ metricsPort: "7007" })).toBe(
      'invalid --metrics-port "7007": the admin server cannot share the echo port (--port 7007)',
    );
  });

  test("TLS and fault combinations name the variables too", () => {
    expect(
      rejection(
        { tlsPort: "8443", tlsCert: "c.pem" },
        { tlsPort: "ECHOD_TLS_PORT", tlsCert: "ECHOD_TLS_CERT" },
      ),
    ).toBe('invalid ECHOD_TLS_PORT "8443": needs --tls-key (and ECHOD_TLS_CERT)');
    expect(rejection({ tlsCa: "ca.pem" }, { tlsCa: "ECHOD_TLS_CA" })).toBe(
      'invalid ECHOD_TLS_CA "ca.pem": has no effect without --tls-port',
    );
    expect(
      rejection(
        { tlsPort: "9464", tlsCert: "c", tlsKey: "k", metricsPort: "9464", port: "1" },
        { metricsPort: "ECHOD_METRICS_PORT" },
      ),
    ).toBe('invalid --tls-port "9464": cannot share the admin port (ECHOD_METRICS_PORT)');
    expect(
      rejection({ closeAfter: "50", resetAfter: "100" }, { closeAfter: "ECHOD_CLOSE_AFTER" }),
    ).toBe(
      'invalid --reset-after "100": cannot be combined with ECHOD_CLOSE_AFTER 50: the first one reached ends the connection, the other never applies',
    );
  });
});
