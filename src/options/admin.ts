/** The options of the admin HTTP server (metrics, health) and of logging. */
import * as p from "./parsers.ts";
import { option } from "./spec.ts";

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export const LOG_FORMATS = ["json", "pretty"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type LogFormat = (typeof LOG_FORMATS)[number];

export const ADMIN_OPTIONS = {
  metrics: option({
    flag: "metrics",
    switch: true,
    default: true,
    parser: p.boolean,
    help: "Serve /metrics, /livez and /readyz (--no-metrics turns it off)",
    docs: "the admin HTTP server: `/metrics`, `/livez`, `/readyz`; `--no-metrics` turns it off",
  }),
  metricsPort: option({
    flag: "metrics-port",
    default: 9464,
    parser: p.port,
    help: "Admin HTTP port",
    docs: "admin HTTP port; not the echo port",
  }),
  metricsHost: option({
    flag: "metrics-host",
    default: "0.0.0.0",
    parser: p.host,
    help: "Admin HTTP address",
    docs: "admin HTTP address",
  }),
  logLevel: option({
    flag: "log-level",
    default: "info",
    parser: p.choice(LOG_LEVELS),
    help: `Log level: ${LOG_LEVELS.join(", ")}`,
    docs: "the least severe log level written",
  }),
  logFormat: option({
    flag: "log-format",
    default: "json",
    parser: p.choice(LOG_FORMATS),
    help: `Log format: ${LOG_FORMATS.join(", ")}`,
    docs: "`json` (one object a line on stdout) or `pretty` (for a terminal)",
  }),
  logData: option({
    flag: "log-data",
    switch: true,
    default: false,
    parser: p.boolean,
    help: "Log a hex dump of the first 64 bytes each connection sends",
    docs: "log a hex dump of the first 64 bytes each connection sends (logged at `info`)",
  }),
} as const;
