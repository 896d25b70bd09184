/**
 * The listener, framing and fault options on the real command line: each
 * bad value, and each contradictory combination, exits 2 with one line
 * naming the option and the value; good values reach the config.
 */
import { describe, expect, test } from "bun:test";
import { resolveConfig } from "../src/config.ts";
import { expectUsageError, runEchod } from "./helpers/spawn-echod.ts";

const BAD_INPUT: [string[], RegExp][] = [
  [
    ["--tls-port", "99999"],
    /invalid --tls-port "99999": must be a decimal integer from 0 to 65535/,
  ],
  [["--tls-port", "8443"], /invalid --tls-port "8443": needs --tls-cert/],
  [["--tls-port", "8443", "--tls-cert", "c.pem"], /invalid --tls-port "8443": needs --tls-key/],
  [["--tls-cert", "c.pem"], /invalid --tls-cert "c.pem": has no effect without --tls-port/],
  [["--tls-ca", "ca.pem"], /invalid --tls-ca "ca.pem": has no effect without --tls-port/],
  [
    ["7007", "--tls-port", "7007", "--tls-cert", "c", "--tls-key", "k"],
    /invalid --tls-port "7007": cannot share the TCP echo port/,
  ],
  [["--unix-mode", "rw"], /invalid --unix-mode "rw": must be an octal file mode such as 0660/],
  [["--unix-mode", "0999"], /invalid --unix-mode "0999"/],
  [["--udp-port", "udp"], /invalid --udp-port "udp"/],
  [["--udp-max-size", "70000"], /invalid --udp-max-size "70000": must be at most 65507 bytes/],
  [["--udp-max-size", "0"], /invalid --udp-max-size "0": must be at least 1 bytes/],
  [
    ["--udp-rate-limit", "-1"],
    /^echod: invalid --udp-rate-limit "-1": must be a decimal integer of at least 0$/,
  ],
  [["--udp-rate-limit", "fast"], /invalid --udp-rate-limit "fast"/],
  [["--framing", "json"], /invalid --framing "json": must be one of none, line, length-prefixed/],
  [["--max-message-size", "big"], /invalid --max-message-size "big"/],
  [["--max-message-size", "5GiB"], /invalid --max-message-size "5GiB": must be at most/],
  [["--delay", "soon"], /invalid --delay "soon": must be milliseconds, optionally with jitter/],
  [["--delay", "100:"], /invalid --delay "100:"/],
  [["--delay", "3600000:1"], /invalid --delay "3600000:1": must add up to at most 3600000 ms/],
  [["--bandwidth", "fast"], /invalid --bandwidth "fast"/],
  [["--slice", "-1"], /^echod: invalid --slice "-1": must be a size such as 65536, 64KiB or 1MiB$/],
  [["--close-after", "x"], /invalid --close-after "x"/],
  [
    ["--close-after", "50", "--reset-after", "100"],
    /invalid --reset-after "100": cannot be combined with --close-after 50/,
  ],
  [
    ["--fault-rate", "1.5"],
    /^echod: invalid --fault-rate "1.5": must be a decimal number from 0 to 1, such as 0.25$/,
  ],
  [["--fault-rate", "often"], /invalid --fault-rate "often"/],
  [["--max-connections-per-ip", "some"], /invalid --max-connections-per-ip "some"/],
];

describe("bad listener, framing and fault options", () => {
  for (const [args, message] of BAD_INPUT) {
    test(`echod ${args.join(" ")} exits 2 with one line naming the value`, async () => {
      await expectUsageError(args, message);
    });
  }

  test("a bad value from the environment names the variable", async () => {
    const { code, stderr } = await runEchod([], { ECHOD_FAULT_RATE: "2" });
    expect(code).toBe(2);
    expect(stderr.trim()).toBe(
      'echod: invalid ECHOD_FAULT_RATE "2": must be a decimal number from 0 to 1, such as 0.25',
    );
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
});
