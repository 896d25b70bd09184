#!/usr/bin/env bun
/**
 * echod's entry point: the only module that reads argv and the environment,
 * installs signal handlers and exits the process. Everything else is a
 * library that the tests and the bench call directly.
 */
import { parseCli } from "./cli.ts";
import { type Config, resolveConfig } from "./config.ts";
import { startEchoServer } from "./echo/server.ts";
import { EchodError } from "./errors.ts";
import { createLogger } from "./log.ts";

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
  const echo = startEchoServer(config, { log });
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
  log.info({ config, echo: address(config.host, echo.port) }, "echod listening");
  return stopped;
}

function address(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
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
