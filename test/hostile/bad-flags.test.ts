/**
 * Bad flags and bad environment values from issue 12, against the real CLI in
 * a child process: each one exits 2 before listening, with nothing on stdout
 * and exactly one line on stderr that names the flag (or the variable) as the
 * user set it and the bad value; no stack trace. Each run has loopback
 * addresses and kernel-chosen ports in its environment (so a value wrongly
 * accepted listens only on loopback) and is killed after 5 s.
 */
import { describe, test } from "bun:test";
import { expectRefusedRun } from "../helpers/usage.ts";

const LOOPBACK = {
  ECHOD_HOST: "127.0.0.1",
  ECHOD_METRICS_HOST: "127.0.0.1",
  ECHOD_PORT: "0",
  ECHOD_METRICS_PORT: "0",
};

const CASES: { args: string[]; env?: Record<string, string>; line: string }[] = [
  {
    args: ["--metrics=maybe"],
    line: 'echod: invalid --metrics "maybe": must be true or false',
  },
  {
    args: ["--log-data=maybe"],
    line: 'echod: invalid --log-data "maybe": must be true or false',
  },
  {
    args: [],
    env: { ECHOD_METRICS: "maybe" },
    line: 'echod: invalid ECHOD_METRICS "maybe": must be true or false',
  },
  {
    args: ["--fault-rate", "0x1"],
    line: 'echod: invalid --fault-rate "0x1": must be a decimal number from 0 to 1, such as 0.25',
  },
  {
    args: ["--port", "1", "--port", "2"],
    line: "echod: --port given more than once (--port 1, --port 2): give each option once",
  },
  {
    // The clash is reported under the variable that caused it, not as --metrics-port.
    args: ["--port", "7007"],
    env: { ECHOD_METRICS_PORT: "7007" },
    line: 'echod: invalid ECHOD_METRICS_PORT "7007": the admin server cannot share the echo port (--port 7007)',
  },
  {
    args: [],
    env: { ECHOD_PORT: "7007", ECHOD_METRICS_PORT: "7007" },
    line: 'echod: invalid ECHOD_METRICS_PORT "7007": the admin server cannot share the echo port (ECHOD_PORT 7007)',
  },
  {
    args: [],
    env: { ECHOD_METRICS_PORT: "0x50" },
    line: 'echod: invalid ECHOD_METRICS_PORT "0x50": must be a decimal integer from 0 to 65535',
  },
  // Issue 16: admission control and the PROXY protocol.
  {
    args: ["--proxy-protocol", "v3"],
    line: 'echod: invalid --proxy-protocol "v3": must be one of off, v1, v2, any',
  },
  {
    args: ["--proxy-protocol-from", "10.0.0.0/33"],
    line: 'echod: invalid --proxy-protocol-from "10.0.0.0/33": "10.0.0.0/33" is not an IP address or CIDR block',
  },
  {
    args: ["--proxy-protocol-timeout", "0"],
    line: 'echod: invalid --proxy-protocol-timeout "0": must be a number of seconds above 0 (or 250ms)',
  },
  {
    args: ["--allow", "127.0.0.1,1.2.3"],
    line: 'echod: invalid --allow "127.0.0.1,1.2.3": "1.2.3" is not an IP address or CIDR block',
  },
  {
    args: [],
    env: { ECHOD_DENY: "::1::" },
    line: 'echod: invalid ECHOD_DENY "::1::": "::1::" is not an IP address or CIDR block',
  },
  {
    args: ["--accept-rate", "100:0"],
    line: 'echod: invalid --accept-rate "100:0": must be connections per second above 0, optionally with a burst of at least 1: 100 or 100:50',
  },
];

describe("bad flags and variables exit 2 with one line", () => {
  for (const { args, env = {}, line } of CASES) {
    const shown = [...Object.entries(env).map(([k, v]) => `${k}=${v}`), "echod", ...args].join(" ");
    test(shown, async () => {
      const started = performance.now();
      await expectRefusedRun(args, { ...LOOPBACK, ...env }, line, 5000);
      const ms = performance.now() - started;
      console.log(`${shown}: exit 2 after ${ms.toFixed(0)} ms: ${line}`);
    }, 15_000);
  }
});
