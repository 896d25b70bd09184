#!/usr/bin/env bun
/**
 * echod's entry point: the only module that reads argv and the environment,
 * installs signal handlers and exits the process. Everything else is a
 * library that the tests and the bench call directly.
 */
import { formatAddress } from "./address.ts";
import { resolveToken } from "./admin/control/auth.ts";
import { type ControlRoutes, createControlRoutes } from "./admin/control/routes.ts";
import { type AdminServer, startAdminServer } from "./admin/server.ts";
import { parseCli } from "./cli.ts";
import { type Config, resolveConfig } from "./config.ts";
import { EchodError } from "./errors.ts";
import { createLogger } from "./log.ts";
import { createMetrics } from "./metrics/registry.ts";
import type { MetricsSource } from "./metrics/source.ts";
import { deferredSource, warmUpMetrics } from "./metrics/warm-up.ts";
import { installProcessGuard } from "./process-guard.ts";
import { startFaults } from "./runtime/control.ts";
import { readFaultsFile } from "./runtime/faults-file.ts";
import { reloadFaultsLogged } from "./runtime/faults-reload.ts";
import { type Runtime, startRuntime } from "./runtime/start.ts";
import { reloadTlsLogged } from "./runtime/tls-reload.ts";

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
  // An exception nothing caught is logged and counted; echod keeps running (process-guard.ts).
  installProcessGuard(log);
  // Both before anything listens: a bad file is a usage error.
  const flagFaults = startFaults(config);
  const fileFaults = config.faults ? readFaultsFile(config.faults, flagFaults).faults : undefined;
  const token = resolveToken(config.controlToken);
  // Built and warmed before the echo port opens, so that the warm-up never competes with echo.
  let source: MetricsSource | undefined;
  const metrics = config.metrics
    ? createMetrics(deferredSource(() => source, { control: config.control }))
    : null;
  if (metrics) await warmUpMetrics(metrics);
  const echo = await startRuntime(config, log, fileFaults);
  const control = config.control ? createControlRoutes(echo.control, log, token) : undefined;
  let shuttingDown = false;
  const ready = () => !shuttingDown && echo.ready() && (control?.ready() ?? true);
  source = metricsSource(echo, ready, control);
  let admin: AdminServer | null = null;
  if (metrics) {
    try {
      admin = await startAdminServer({
        host: config.metricsHost,
        port: config.metricsPort,
        metrics,
        ready,
        log,
        live: () => echo.live(),
        refresh: () => echo.refresh(),
        ...(control ? { control } : {}),
      });
    } catch (error) {
      await echo.stop();
      throw error;
    }
  }

  // Handlers go in before the "listening" line: a supervisor may signal as soon as it sees it.
  const stopped = new Promise<number>((resolve) => {
    let signals = 0;
    const onSignal = async (signal: NodeJS.Signals) => {
      signals++;
      if (signals > 1) {
        log.warn({ signal }, "second signal: exiting at once");
        // Workers would drain on as orphans for up to --shutdown-timeout: take them down too.
        echo.abort();
        process.exit(1);
      }
      // Not-ready first, so that load balancers stop sending new clients, then drain.
      shuttingDown = true;
      log.info(
        { signal, shutdownDelay: config.shutdownDelay, shutdownTimeout: config.shutdownTimeout },
        "shutting down",
      );
      if (config.shutdownDelay > 0) await Bun.sleep(config.shutdownDelay * 1000);
      const summary = await echo.stop();
      await admin?.stop();
      log.info(summary, "echod stopped");
      resolve(0);
    };
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
  });
  process.on("SIGHUP", () => {
    void reloadTlsLogged(echo.reloadTls, log);
    void reloadFaultsLogged(config, echo.control, flagFaults, log);
  });
  log.info(
    {
      config: { ...config, controlToken: config.controlToken === null ? null : "(hidden)" },
      echo: formatAddress(config.host, echo.port),
      listeners: echo.addresses(),
      ...(config.workers > 1 ? { workers: echo.pids() } : {}),
      ...(admin ? { admin: formatAddress(config.metricsHost, admin.port) } : {}),
    },
    "echod listening",
  );
  return stopped;
}

/** What the metrics read: the runtime, not ready once shutdown has begun. */
function metricsSource(
  echo: Runtime,
  ready: () => boolean,
  control: ControlRoutes | undefined,
): MetricsSource {
  return {
    ...(control ? { control: () => control.counts } : {}),
    stats: () => echo.stats(),
    listenerStats: () => echo.listenerStats(),
    resources: () => echo.resources(),
    workers: () => echo.workers(),
    ready,
  };
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
