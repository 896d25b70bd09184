/**
 * echod's configuration: one frozen defaults object and `resolveConfig`, which
 * turns raw option values (from flags, the environment or a test) into a
 * validated, frozen Config. Every error names the option and the bad value.
 */
import { availableParallelism } from "node:os";
import { usageError } from "./errors.ts";
import { parseSeconds, parseSize } from "./units.ts";

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export const LOG_FORMATS = ["json", "pretty"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type LogFormat = (typeof LOG_FORMATS)[number];

export interface Config {
  /** Echo port; 0 lets the kernel choose. */
  readonly port: number;
  readonly host: string;
  readonly maxConnections: number;
  /** Seconds with no traffic either way before a connection is closed; 0 = never. */
  readonly idleTimeout: number;
  /** High-water mark in bytes: past this many queued bytes, stop reading from the client. */
  readonly maxBuffer: number;
  /** Seconds that a graceful drain may take before the remaining connections are cut. */
  readonly shutdownTimeout: number;
  /** Seconds to report not-ready on SIGTERM before the drain starts. */
  readonly shutdownDelay: number;
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

export const DEFAULTS: Config = Object.freeze({
  port: 7007,
  host: "0.0.0.0",
  maxConnections: 10_000,
  idleTimeout: 300,
  maxBuffer: 1024 * 1024,
  shutdownTimeout: 10,
  shutdownDelay: 0,
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
export type RawOptions = { readonly [K in keyof Config]?: string | number | boolean | undefined };

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
    idleTimeout: toSeconds(name("idleTimeout"), pick("idleTimeout")),
    maxBuffer: toSize(name("maxBuffer"), pick("maxBuffer"), MIN_MAX_BUFFER),
    shutdownTimeout: toSeconds(name("shutdownTimeout"), pick("shutdownTimeout")),
    shutdownDelay: toSeconds(name("shutdownDelay"), pick("shutdownDelay")),
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
      "--metrics-port",
      config.metricsPort,
      `the admin server cannot share the echo port (--port ${config.port})`,
    );
  }
  if (config.maxConnections < config.workers) {
    throw usageError(
      name("maxConnections"),
      config.maxConnections,
      `must be at least the number of workers (${config.workers}): each worker gets a share`,
    );
  }
  return Object.freeze(config);
}

const WILDCARDS = new Set(["0.0.0.0", "::", ""]);

function hostsOverlap(a: string, b: string): boolean {
  return a === b || WILDCARDS.has(a) || WILDCARDS.has(b);
}

function toPort(option: string, value: unknown): number {
  const port = typeof value === "string" && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
  if (typeof port !== "number" || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw usageError(option, value, "must be an integer from 0 to 65535");
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
  const n = typeof value === "string" && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
  if (typeof n !== "number" || !Number.isSafeInteger(n) || n < min) {
    throw usageError(option, value, `must be an integer of at least ${min}`);
  }
  return n;
}

function toWorkers(option: string, value: unknown): number {
  if (value === "auto") return availableParallelism();
  const n = typeof value === "string" && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 1 || n > MAX_WORKERS) {
    throw usageError(option, value, `must be auto or an integer from 1 to ${MAX_WORKERS}`);
  }
  return n;
}

function toSize(option: string, value: unknown, min: number): number {
  const bytes = typeof value === "string" || typeof value === "number" ? parseSize(value) : null;
  if (bytes === null)
    throw usageError(option, value, "must be a size such as 65536, 64KiB or 1MiB");
  if (bytes < min) throw usageError(option, value, `must be at least ${min} bytes`);
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

function toBoolean(option: string, value: unknown): boolean {
  if (typeof value === "boolean") return value;
  if (typeof value === "string") {
    const v = value.trim().toLowerCase();
    if (["1", "true", "yes", "on"].includes(v)) return true;
    if (["0", "false", "no", "off", ""].includes(v)) return false;
  }
  throw usageError(option, value, "must be true or false");
}

function toChoice<T extends string>(option: string, value: unknown, choices: readonly T[]): T {
  if (typeof value === "string" && (choices as readonly string[]).includes(value))
    return value as T;
  throw usageError(option, value, `must be one of ${choices.join(", ")}`);
}
