/**
 * The options for running behind load balancers and in clusters that are
 * not admission control: the banner that says which echod answered, TCP
 * socket options, and the daemon-wide memory budget.
 */
import { usageError } from "../errors.ts";
import { parseTemplate } from "../identity/banner.ts";
import { parseSize } from "../units.ts";
import * as p from "./parsers.ts";
import { option } from "./spec.ts";

/** `--max-memory`: a size in bytes, `auto` (a share of the cgroup limit) or 0 (no budget). */
export type MemorySetting = number | "auto";

/** The longest --keepalive: Linux takes TCP_KEEPIDLE up to 32767 seconds. */
export const MAX_KEEPALIVE = 32_767;

/** The share of the container's memory limit that `--max-memory auto` takes (see src/echo/memory-limit.ts). */
export const AUTO_MEMORY_SHARE = 0.25;

const memory: p.ValueParser<MemorySetting> = {
  accepts: "`auto`, `0` (no budget) or bytes (`64MiB`, `1GiB`), at least 1 MiB",
  read(value, name) {
    if (value === "auto") return "auto";
    const bytes = typeof value === "string" || typeof value === "number" ? parseSize(value) : null;
    if (bytes === null) throw usageError(name, value, "must be auto, 0 or a size such as 64MiB");
    if (bytes !== 0 && bytes < 1024 * 1024)
      throw usageError(name, value, "must be 0 or at least 1 MiB");
    return bytes;
  },
};

/** Checked here (unknown placeholders, stray braces, bad escapes); each listener compiles it at start. */
const template: p.ValueParser<string | null> = p.optional({
  accepts: "text with `{placeholders}` and `\\n` escapes",
  read(value, name) {
    if (typeof value !== "string") throw usageError(name, value, "must be text");
    parseTemplate(value, name);
    return value;
  },
});

const line: p.ValueParser<string | null> = p.optional({
  accepts: "one line of text (no line break)",
  read(value, name) {
    if (typeof value !== "string" || /[\r\n]/.test(value)) {
      throw usageError(name, value, "must be one line of text, without line breaks");
    }
    return value;
  },
});

export const CLUSTER_OPTIONS = {
  banner: option({
    flag: "banner",
    default: null,
    shown: "off",
    parser: template,
    help: "Text sent first on every stream connection: {hostname} {pod} {namespace} {node} {version} {listener} {remote} {local}, \\n",
    docs: "text written first on every new TCP, TLS and Unix connection, before any echo; placeholders `{hostname}` `{pod}` `{namespace}` `{node}` `{version}` `{listener}` `{remote}` `{local}`, escapes `\\n` and `\\r\\n` (see [banner](listeners-and-framing.md#banner-which-echod-answered))",
  }),
  whoamiLine: option({
    flag: "whoami-line",
    default: null,
    shown: "off",
    parser: line,
    help: "With --framing line: this exact line gets the --banner back instead of its echo",
    docs: "with `--framing line` and `--banner`: a line that is exactly this (such as `WHOAMI`) gets the banner back instead of its echo",
  }),
  keepalive: option({
    flag: "keepalive",
    default: 0,
    parser: p.integerIn(0, MAX_KEEPALIVE),
    help: "TCP keepalive idle seconds on TCP and TLS connections (0 = off)",
    docs: "seconds a TCP or TLS connection may be idle before the kernel sends keepalive probes (`SO_KEEPALIVE`, `TCP_KEEPIDLE`); `0` = no keepalive",
  }),
  nagle: option({
    flag: "nagle",
    switch: true,
    default: false,
    parser: p.boolean,
    help: "Turn Nagle's algorithm back on (echod sets TCP_NODELAY otherwise)",
    docs: "turn Nagle's algorithm back on for TCP and TLS connections: small writes wait for the peer's ACK and coalesce; off (`TCP_NODELAY`) by default",
  }),
  maxMemory: option({
    flag: "max-memory",
    default: "auto" as MemorySetting,
    parser: memory,
    help: "Bytes queued daemon-wide before echod pauses reading from every client (auto = 25% of the cgroup limit, 0 = none)",
    docs: `bytes queued across all connections that echod keeps within: past three quarters of it echod stops reading from every connection, and resumes below half; \`auto\` = ${AUTO_MEMORY_SHARE * 100}% of the cgroup memory limit (none without a limit); \`0\` = no budget; split evenly between \`--workers\` (see [memory budget](listeners-and-framing.md#memory-budget))`,
  }),
} as const;
