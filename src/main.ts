#!/usr/bin/env bun
/**
 * echod's entry point: the only module that reads argv and the environment,
 * installs signal handlers and exits the process. Everything else is a
 * library that the tests and the bench call directly.
 */
import { parseCli } from "./cli.ts";
import { type Config, resolveConfig } from "./config.ts";
import { type EchoService, startListeners } from "./echo/listeners.ts";
import { EchodError } from "./errors.ts";
import { createLogger, type Logger } from "./log.ts";

async function main(argv: readonly string[]): Promise<number> {
  const cli = parseCli(argv, process.env);
  if (cli.kind === "output") {
    process.stdout.write(`${cli.text}\n`);
    return 0;
  }
  const config = resolveConfig(cli.options, cli.labels);
  if (cli.kind === "healthcheck") {
    const { runHealthcheck } = await import("./admin/healthcheck.ts");
    return runHealthcheck(config);
  }
  return serve(config);
}

async function serve(config: Config): Promise<number> {
  const log = createLogger(config.logLevel, config.logFormat);
  const echo = await startListeners(config, { log });
  // Handlers go in before the "listening" line: a supervisor may signal as soon as it sees it.
  const stopped = new Promise<number>((resolve) => {
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      signals++;
      if (signals > 1) {
        log.warn({ signal }, "second signal: exiting at once");
        process.exit(1);
      }
      log.info({ signal, shutdownTimeout: config.shutdownTimeout }, "shutting down");
      echo.stop().then((summary) => {
        log.info(summary, "echod stopped");
        resolve(0);
      });
    };
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
  });
  process.on("SIGHUP", () => reloadTls(echo, log));
  const listeners: Record<string, string> = {};
  for (const server of echo.servers) listeners[server.kind] = server.address;
  if (echo.udp !== null) listeners.udp = echo.udp.address;
  log.info({ config, echo: listeners.tcp, listeners }, "echod listening");
  return stopped;
}

/** SIGHUP: re-read the TLS files. A bad file is logged and the old certificate stays. */
function reloadTls(echo: EchoService, log: Logger): void {
  if (echo.server("tls") === undefined) return;
  try {
    echo.reloadTls();
    log.info("tls certificate reloaded");
  } catch (error) {
    log.error({ err: (error as Error).message }, "tls reload failed; keeping the old certificate");
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof EchodError) {
      process.stderr.write(`echod: ${error.message}\n`);
      process.exit(error.exitCode);
    }
    process.stderr.write(`echod: unexpected error: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exit(1);
  },
);
