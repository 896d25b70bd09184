/**
 * Bad values for --banner, --whoami-line, --keepalive, --nagle and
 * --max-memory, against the real CLI: each exits 2 before listening with
 * one line on stderr naming the flag (or the variable) and the value.
 */
import { describe, test } from "bun:test";
import { expectRefusedRun } from "../helpers/usage.ts";

const LOOPBACK = {
  ECHOD_HOST: "127.0.0.1",
  ECHOD_METRICS_HOST: "127.0.0.1",
  ECHOD_PORT: "0",
  ECHOD_METRICS_PORT: "0",
};
const KNOWN = "(known: {hostname} {pod} {namespace} {node} {version} {listener} {remote} {local})";

const CASES: { args: string[]; env?: Record<string, string>; line: string }[] = [
  {
    args: ["--banner", "{hostname} {pdo} {ip}\\n"],
    line: `echod: invalid --banner "{hostname} {pdo} {ip}\\\\n": unknown placeholders {pdo}, {ip} ${KNOWN}`,
  },
  {
    args: [],
    env: { ECHOD_BANNER: "hi {nodename}" },
    line: `echod: invalid ECHOD_BANNER "hi {nodename}": unknown placeholder {nodename} ${KNOWN}`,
  },
  {
    args: ["--banner", "{hostname"],
    line: 'echod: invalid --banner "{hostname": has a { without a closing }',
  },
  {
    args: ["--banner", "a\\tb"],
    line: 'echod: invalid --banner "a\\\\tb": unknown escape \\t (use \\n, \\r\\n or \\\\)',
  },
  {
    args: ["--banner", "x".repeat(5000)],
    line: `echod: invalid --banner "${"x".repeat(5000)}": expands to up to 5000 bytes; at most 4096`,
  },
  {
    args: ["--whoami-line", "WHOAMI", "--banner", "{pod}"],
    line: 'echod: invalid --whoami-line "WHOAMI": needs --framing line',
  },
  {
    args: ["--whoami-line", "WHOAMI", "--framing", "line"],
    line: 'echod: invalid --whoami-line "WHOAMI": needs --banner (its answer)',
  },
  {
    args: [],
    env: { ECHOD_WHOAMI_LINE: "WHO\nAMI" },
    line: 'echod: invalid ECHOD_WHOAMI_LINE "WHO\\nAMI": must be one line of text, without line breaks',
  },
  {
    args: ["--keepalive", "-1"],
    line: 'echod: invalid --keepalive "-1": must be a decimal integer from 0 to 32767',
  },
  {
    args: ["--keepalive", "40000"],
    line: 'echod: invalid --keepalive "40000": must be a decimal integer from 0 to 32767',
  },
  {
    args: ["--keepalive", "1.5"],
    line: 'echod: invalid --keepalive "1.5": must be a decimal integer from 0 to 32767',
  },
  {
    args: ["--nagle=sometimes"],
    line: 'echod: invalid --nagle "sometimes": must be true or false',
  },
  {
    args: ["--max-memory", "lots"],
    line: 'echod: invalid --max-memory "lots": must be auto, 0 or a size such as 64MiB',
  },
  {
    args: ["--max-memory", "1000"],
    line: 'echod: invalid --max-memory "1000": must be 0 or at least 1 MiB',
  },
  {
    args: [],
    env: { ECHOD_MAX_MEMORY: "-5MiB" },
    line: 'echod: invalid ECHOD_MAX_MEMORY "-5MiB": must be auto, 0 or a size such as 64MiB',
  },
];

describe("bad banner, socket and memory values exit 2 with one line", () => {
  for (const { args, env = {}, line } of CASES) {
    const shown = [...Object.entries(env).map(([k, v]) => `${k}=${v}`), "echod", ...args]
      .join(" ")
      .slice(0, 80);
    test(shown, async () => {
      await expectRefusedRun(args, { ...LOOPBACK, ...env }, line, 5000);
    }, 15_000);
  }
});
