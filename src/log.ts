/**
 * The pino logger: JSON lines on stdout by default, or pino-pretty's
 * human format for people at a terminal. pino-pretty is used as a plain
 * stream (not a transport) so that no worker thread is involved and every
 * line is written before the process exits.
 */
import pino, { type Logger } from "pino";
import type { LogFormat, LogLevel } from "./config.ts";

export type { Logger };

export function createLogger(level: LogLevel, format: LogFormat): Logger {
  const options = { level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime };
  if (format === "pretty") {
    // Loaded only for this format: the JSON default starts that much sooner.
    const pretty = require("pino-pretty") as typeof import("pino-pretty");
    return pino(options, pretty({ colorize: process.stdout.isTTY === true, sync: true }));
  }
  return pino(options, pino.destination({ dest: 1, sync: true }));
}

/** A logger that drops everything, for embedding echod in tests and the bench. */
export function createSilentLogger(): Logger {
  return pino({ level: "silent" });
}
