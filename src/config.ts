/**
 * echod's configuration: one frozen defaults object and `resolveConfig`, which
 * turns raw option values (from flags, the environment or a test) into a
 * validated, frozen Config. Every error names the option and the bad value.
 */
import { availableParallelism } from "node:os";
import { usageError } from "./errors.ts";
import { parseBoolean, parseDecimal, parseInteger, parseSeconds, parseSize } from "./units.ts";

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export const LOG_FORMATS = ["json", "pretty"] as const;
export const FRAMINGS = ["none", "line", "length-prefixed"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type LogFormat = (typeof LOG_FORMATS)[number];
export type Framing = (typeof FRAMINGS)[number];

/** `--delay MS[:JITTER]`: each chunk (or message) waits `ms` plus up to `jitterMs` more. */
export interface Delay {
  readonly ms: number;
  readonly jitterMs: number;
}

export interface Config {
  /** Echo port; 0 lets the kernel choose. */
  readonly port: number;
  readonly host: string;
  readonly maxConnections: number;
  /** Concurrent connections from one IP address; 0 = no limit. */
  readonly maxConnectionsPerIp: number;
  /** Seconds with no traffic either way before a connection is closed; 0 = never. */
  readonly idleTimeout: number;
  /** High-water mark in bytes: past this many queued bytes, stop reading from the client. */
  readonly maxBuffer: number;
  /** Seconds that a graceful drain may take before the remaining connections are cut. */
  readonly shutdownTimeout: number;
  /** Seconds to report not-ready on SIGTERM before the drain starts. */
  readonly shutdownDelay: number;
  /** TLS listener port (null = no TLS listener); on --host, like the TCP one. */
  readonly tlsPort: number | null;
  readonly tlsCert: string | null;
  readonly tlsKey: string | null;
  /** CA bundle for client certificates: when set, clients must present one it signed. */
  readonly tlsCa: string | null;
  /** Unix domain socket path (null = none). */
  readonly unix: string | null;
  /** File mode of the Unix socket, e.g. 0o660. */
  readonly unixMode: number;
  /** UDP echo port (null = off). */
  readonly udpPort: number | null;
  /** Largest datagram echoed; larger ones are dropped. */
  readonly udpMaxSize: number;
  /** Datagrams per second echoed to one source address; 0 = no limit. */
  readonly udpRateLimit: number;
  readonly framing: Framing;
  /** Largest message (line without its terminator, or length-prefixed payload). */
  readonly maxMessageSize: number;
  readonly delay: Delay;
  /** Bytes per second echoed per connection; 0 = unlimited. */
  readonly bandwidth: number;
  /** Echo in writes of at most this many bytes; 0 = off. */
  readonly slice: number;
  /** Close (FIN) after echoing this many bytes; 0 = off. */
  readonly closeAfter: number;
  /** Reset (RST) after echoing this many bytes; 0 = off. */
  readonly resetAfter: number;
  /** The chance (0..1) that a new connection gets the faults above. */
  readonly faultRate: number;
  readonly logLevel: LogLevel;
  readonly logFormat: LogFormat;
  /** Log a capped hex dump of the first bytes each connection sends. */
  readonly logData: boolean;
  /** Admin HTTP server (metrics, health) on or off. */
  readonly metrics: boolean;
  readonly metricsPort: number;
  readonly metricsHost: string;
  /** Echo worker processes sharing the port (SO_REUSEPORT); 1 = echo in the main process. */
  readonly workers: number;
}

/** The longest --delay (with jitter): timers past 2^31 ms would fire at once. */
export const MAX_DELAY_MS = 3_600_000;

/** The largest UDP payload over IPv4 (65535 minus the IP and UDP headers). */
export const MAX_UDP_PAYLOAD = 65_507;

export const DEFAULTS: Config = Object.freeze({
  port: 7007,
  host: "0.0.0.0",
  maxConnections: 10_000,
  maxConnectionsPerIp: 0,
  idleTimeout: 300,
  maxBuffer: 1024 * 1024,
  shutdownTimeout: 10,
  shutdownDelay: 0,
  tlsPort: null,
  tlsCert: null,
  tlsKey: null,
  tlsCa: null,
  unix: null,
  unixMode: 0o660,
  udpPort: null,
  udpMaxSize: MAX_UDP_PAYLOAD,
  udpRateLimit: 100,
  framing: "none",
  maxMessageSize: 1024 * 1024,
  delay: Object.freeze({ ms: 0, jitterMs: 0 }),
  bandwidth: 0,
  slice: 0,
  closeAfter: 0,
  resetAfter: 0,
  faultRate: 1,
  logLevel: "info",
  logFormat: "json",
  logData: false,
  metrics: true,
  metricsPort: 9464,
  metricsHost: "0.0.0.0",
  workers: 1,
});

/** The most workers accepted: more than this only adds memory and scheduling. */
export const MAX_WORKERS = 256;

/** The smallest high-water mark accepted: below one read it only costs syscalls. */
export const MIN_MAX_BUFFER = 1024;

/** What a caller may pass: any subset, as strings (flags, env) or typed values. */
export type RawOptions = {
  readonly [K in keyof Config]?: string | number | boolean | Delay | null | undefined;
};

/** Validates raw options over the defaults; throws an EchodError (exit 2) naming the first bad one. */
export function resolveConfig(
  raw: RawOptions = {},
  labels: { readonly [K in keyof Config]?: string } = {},
): Config {
  const pick = <K extends keyof Config>(key: K) => raw[key] ?? DEFAULTS[key];
  // Errors name the flag, or the environment variable when the value came from there.
  const name = (key: keyof Config) =>
    labels[key] ?? `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
  const config: Config = {
    port: toPort(name("port"), pick("port")),
    host: toHost(name("host"), pick("host")),
    maxConnections: toInteger(name("maxConnections"), pick("maxConnections"), 1),
    maxConnectionsPerIp: toInteger(name("maxConnectionsPerIp"), pick("maxConnectionsPerIp"), 0),
    idleTimeout: toSeconds(name("idleTimeout"), pick("idleTimeout")),
    maxBuffer: toSize(name("maxBuffer"), pick("maxBuffer"), MIN_MAX_BUFFER),
    shutdownTimeout: toSeconds(name("shutdownTimeout"), pick("shutdownTimeout")),
    shutdownDelay: toSeconds(name("shutdownDelay"), pick("shutdownDelay")),
    tlsPort: optional(pick("tlsPort"), (v) => toPort(name("tlsPort"), v)),
    tlsCert: optional(pick("tlsCert"), (v) => toPath(name("tlsCert"), v)),
    tlsKey: optional(pick("tlsKey"), (v) => toPath(name("tlsKey"), v)),
    tlsCa: optional(pick("tlsCa"), (v) => toPath(name("tlsCa"), v)),
    unix: optional(pick("unix"), (v) => toPath(name("unix"), v)),
    unixMode: toFileMode(name("unixMode"), pick("unixMode")),
    udpPort: optional(pick("udpPort"), (v) => toPort(name("udpPort"), v)),
    udpMaxSize: toSize(name("udpMaxSize"), pick("udpMaxSize"), 1, MAX_UDP_PAYLOAD),
    udpRateLimit: toInteger(name("udpRateLimit"), pick("udpRateLimit"), 0),
    framing: toChoice(name("framing"), pick("framing"), FRAMINGS),
    maxMessageSize: toSize(name("maxMessageSize"), pick("maxMessageSize"), 1, 0xffff_ffff),
    delay: toDelay(name("delay"), pick("delay")),
    bandwidth: toSize(name("bandwidth"), pick("bandwidth"), 0),
    slice: toSize(name("slice"), pick("slice"), 0),
    closeAfter: toSize(name("closeAfter"), pick("closeAfter"), 0),
    resetAfter: toSize(name("resetAfter"), pick("resetAfter"), 0),
    faultRate: toFraction(name("faultRate"), pick("faultRate")),
    logLevel: toChoice(name("logLevel"), pick("logLevel"), LOG_LEVELS),
    logFormat: toChoice(name("logFormat"), pick("logFormat"), LOG_FORMATS),
    logData: toBoolean(name("logData"), pick("logData")),
    metrics: toBoolean(name("metrics"), pick("metrics")),
    metricsPort: toPort(name("metricsPort"), pick("metricsPort")),
    metricsHost: toHost(name("metricsHost"), pick("metricsHost")),
    workers: toWorkers(name("workers"), pick("workers")),
  };
  if (
    config.metrics &&
    config.port !== 0 &&
    config.port === config.metricsPort &&
    hostsOverlap(config.host, config.metricsHost)
  ) {
    throw usageError(
      name("metricsPort"),
      config.metricsPort,
      `the admin server cannot share the echo port (${name("port")} ${config.port})`,
    );
  }
  if (config.maxConnections < config.workers) {
    throw usageError(
      name("maxConnections"),
      config.maxConnections,
      `must be at least the number of workers (${config.workers}): each worker gets a share`,
    );
  }
  checkCombinations(config, name);
  return Object.freeze(config);
}

/** Settings that are each valid but contradict one another. */
function checkCombinations(config: Config, name: (key: keyof Config) => string): void {
  if (config.tlsPort !== null) {
    if (config.tlsCert === null) {
      throw usageError(
        name("tlsPort"),
        config.tlsPort,
        `needs ${name("tlsCert")} (and ${name("tlsKey")})`,
      );
    }
    if (config.tlsKey === null) {
      throw usageError(
        name("tlsPort"),
        config.tlsPort,
        `needs ${name("tlsKey")} (and ${name("tlsCert")})`,
      );
    }
    if (config.tlsPort !== 0 && config.tlsPort === config.port) {
      throw usageError(
        name("tlsPort"),
        config.tlsPort,
        `cannot share the TCP echo port (${name("port")})`,
      );
    }
    if (config.metrics && config.tlsPort !== 0 && config.tlsPort === config.metricsPort) {
      throw usageError(
        name("tlsPort"),
        config.tlsPort,
        `cannot share the admin port (${name("metricsPort")})`,
      );
    }
  } else {
    for (const key of ["tlsCert", "tlsKey", "tlsCa"] as const) {
      if (config[key] !== null) {
        throw usageError(name(key), config[key], `has no effect without ${name("tlsPort")}`);
      }
    }
  }
  if (config.closeAfter > 0 && config.resetAfter > 0) {
    throw usageError(
      name("resetAfter"),
      config.resetAfter,
      `cannot be combined with ${name("closeAfter")} ${config.closeAfter}: the first one reached ends the connection, the other never applies`,
    );
  }
}

/** Unset, empty, "off" or "none" means null; anything else goes through `convert`. */
function optional<T>(value: unknown, convert: (value: unknown) => T): T | null {
  if (value === null || value === undefined || value === false) return null;
  if (typeof value === "string" && ["", "off", "none"].includes(value)) return null;
  return convert(value);
}

function toPath(option: string, value: unknown): string {
  if (typeof value !== "string" || value.trim() === "") {
    throw usageError(option, value, "must be a file path");
  }
  return value;
}

function toFileMode(option: string, value: unknown): number {
  const mode =
    typeof value === "string" && /^0?[0-7]{3}$/.test(value) ? Number.parseInt(value, 8) : value;
  if (typeof mode !== "number" || !Number.isInteger(mode) || mode < 0 || mode > 0o777) {
    throw usageError(option, value, "must be an octal file mode such as 0660");
  }
  return mode;
}

function toDelay(option: string, value: unknown): Delay {
  if (typeof value === "object" && value !== null) return value as Delay;
  const text = typeof value === "string" || typeof value === "number" ? String(value) : "";
  const [msText = "", jitterText = "0", extra] = text.split(":");
  const ms = parseDecimal(msText);
  const jitterMs = extra === undefined ? parseDecimal(jitterText) : null;
  if (ms === null || jitterMs === null) {
    throw usageError(option, value, "must be milliseconds, optionally with jitter: 200 or 200:50");
  }
  const delay = { ms, jitterMs };
  if (delay.ms + delay.jitterMs > MAX_DELAY_MS) {
    throw usageError(option, value, `must add up to at most ${MAX_DELAY_MS} ms (one hour)`);
  }
  return Object.freeze(delay);
}

function toFraction(option: string, value: unknown): number {
  const n = typeof value === "string" ? parseDecimal(value) : value;
  if (typeof n !== "number" || !Number.isFinite(n) || n < 0 || n > 1) {
    throw usageError(option, value, "must be a decimal number from 0 to 1, such as 0.25");
  }
  return n;
}

const WILDCARDS = new Set(["0.0.0.0", "::", ""]);

function hostsOverlap(a: string, b: string): boolean {
  return a === b || WILDCARDS.has(a) || WILDCARDS.has(b);
}

function toPort(option: string, value: unknown): number {
  const port = typeof value === "string" ? parseInteger(value) : value;
  if (typeof port !== "number" || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw usageError(option, value, "must be a decimal integer from 0 to 65535");
  }
  return port;
}

function toHost(option: string, value: unknown): string {
  if (typeof value !== "string" || value.trim() === "" || /\s/.test(value)) {
    throw usageError(option, value, "must be a host name or an IP address");
  }
  // Accept the bracketed IPv6 form people paste from URLs: [::1] -> ::1.
  return value.replace(/^\[(.*)\]$/, "$1");
}

function toInteger(option: string, value: unknown, min: number): number {
  const n = typeof value === "string" ? parseInteger(value) : value;
  if (typeof n !== "number" || !Number.isSafeInteger(n) || n < min) {
    throw usageError(option, value, `must be a decimal integer of at least ${min}`);
  }
  return n;
}

function toWorkers(option: string, value: unknown): number {
  if (value === "auto") return availableParallelism();
  const n = typeof value === "string" ? parseInteger(value) : value;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 1 || n > MAX_WORKERS) {
    throw usageError(option, value, `must be auto or a decimal integer from 1 to ${MAX_WORKERS}`);
  }
  return n;
}

function toSize(
  option: string,
  value: unknown,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const bytes = typeof value === "string" || typeof value === "number" ? parseSize(value) : null;
  if (bytes === null)
    throw usageError(option, value, "must be a size such as 65536, 64KiB or 1MiB");
  if (bytes < min) throw usageError(option, value, `must be at least ${min} bytes`);
  if (bytes > max) throw usageError(option, value, `must be at most ${max} bytes`);
  return bytes;
}

function toSeconds(option: string, value: unknown): number {
  const seconds =
    typeof value === "string" || typeof value === "number" ? parseSeconds(value) : null;
  if (seconds === null) {
    throw usageError(option, value, "must be a non-negative number of seconds (or 250ms, 2m)");
  }
  return seconds;
}

/** Only "true" and "false", for `--x=VALUE` and `ECHOD_X` alike, so the two cannot disagree. */
function toBoolean(option: string, value: unknown): boolean {
  const b = typeof value === "string" ? parseBoolean(value) : value;
  if (typeof b !== "boolean") throw usageError(option, value, "must be true or false");
  return b;
}

function toChoice<T extends string>(option: string, value: unknown, choices: readonly T[]): T {
  if (typeof value === "string" && (choices as readonly string[]).includes(value))
    return value as T;
  throw usageError(option, value, `must be one of ${choices.join(", ")}`);
}
