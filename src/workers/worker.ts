#!/usr/bin/env bun
/**
 * Entry point of one echo worker process, started by the primary
 * (supervisor.ts) with its share of the configuration as JSON in argv. It
 * runs the same listeners as single-process echod (TCP and TLS on the shared
 * ports with SO_REUSEPORT; Unix and UDP only in worker 0, see supervisor.ts)
 * and answers the primary's requests for counters. It sends a heartbeat
 * with its counters every HEARTBEAT_MS (health.ts), and leaves by itself
 * when the primary goes away.
 */
import type { Config } from "../config.ts";
import { type EchoService, startListeners } from "../echo/listeners.ts";
import { EchodError } from "../errors.ts";
import { createLogger } from "../log.ts";
import { ownResources } from "../metrics/resources.ts";
import { installProcessGuard, internalErrors } from "../process-guard.ts";
import { applyAccepting, applyFaults } from "../runtime/control.ts";
import { serviceAddresses, serviceListenerStats } from "../runtime/service.ts";
import { tlsReloadError } from "../runtime/tls-reload.ts";
import { HEARTBEAT_MS } from "./health.ts";
import type { ControlOp, ControlState, FromWorker, ToWorker } from "./protocol.ts";

const config = JSON.parse(process.argv[2] ?? "{}") as Config;
const id = Number(process.argv[3] ?? 0);
// The control API's changes so far (a restarted worker joins the others' state).
const controlState = JSON.parse(process.argv[4] ?? '{"faults":{},"down":[]}') as ControlState;
const log = createLogger(config.logLevel, config.logFormat).child({ worker: id });
// Before anything can throw: an uncaught error is logged and counted, the worker keeps serving.
installProcessGuard(log);
const send = (message: FromWorker) => {
  if (process.connected) process.send?.(message);
};
// The primary's pid at start: once it dies this process is re-parented and ppid changes.
const primaryPid = process.ppid;

let echo: EchoService;
try {
  echo = await startListeners(config, { log, reusePort: true, faults: controlState.faults });
  for (const name of controlState.down) echo.named(name)?.setAccepting(false);
} catch (error) {
  const known = error instanceof EchodError;
  send({
    t: "failed",
    message: known ? error.message : String(error),
    exitCode: known ? error.exitCode : 1,
  });
  process.exit(known ? error.exitCode : 1);
}

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  const summary = await echo.stop();
  log.debug(summary, "worker stopped");
  // Exit only once the summary is on its way to the primary.
  const stopped: FromWorker = { t: "stopped", summary };
  if (process.send === undefined || !process.connected) process.exit(0);
  process.send(stopped, undefined, undefined, () => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
}

const listenerStats = () => serviceListenerStats(echo);

process.on("message", (message: ToWorker) => {
  if (message.t === "stats") {
    send({
      t: "stats",
      seq: message.seq,
      listeners: listenerStats(),
      resources: ownResources(),
      internalErrors: internalErrors(),
    });
  } else if (message.t === "reload-tls") {
    // The primary logs the outcome for all workers; the answer says whether this one succeeded.
    const seq = message.seq;
    void tlsReloadError(() => echo.reloadTls()).then((error) => {
      log.debug({ err: error }, error === null ? "tls certificate reloaded" : "tls reload failed");
      send({ t: "reloaded", seq, error });
    });
  } else if (message.t === "control") {
    send({ t: "controlled", seq: message.seq, error: applyControl(message.op) });
  } else if (message.t === "stop") {
    void stop();
  }
});
/** Applies a control change to this worker's listeners (Unix and UDP live in worker 0 only). */
function applyControl(op: ControlOp): string | null {
  try {
    if (op.kind === "faults") {
      const mine = Object.entries(op.changes).filter(([name]) => echo.named(name) !== undefined);
      applyFaults(echo, Object.fromEntries(mine), op.scope);
    } else if (echo.named(op.name) !== undefined) {
      applyAccepting(echo, op.name, op.accepting);
    }
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

// Ctrl-C reaches the whole process group; the primary's stop message may come second.
process.on("SIGINT", () => void stop());
process.on("SIGTERM", () => void stop());
// SIGHUP to the whole group: the primary forwards it as a message, so ignore the signal itself.
process.on("SIGHUP", () => {});
// A primary that died cannot supervise us: drain and leave rather than linger.
process.on("disconnect", orphaned);

/** Stops taking connections and drains, and exits even if the drain does not finish. */
let orphan = false;
function orphaned(): void {
  if (orphan) return;
  orphan = true;
  log.warn({ primaryPid }, "primary gone; draining and exiting");
  setTimeout(() => process.exit(1), (config.shutdownTimeout + 2) * 1000).unref();
  void stop();
}

// The heartbeat carries the counters, so a worker that dies loses at most one interval of them.
setInterval(() => {
  if (process.ppid !== primaryPid) return orphaned();
  send({
    t: "beat",
    listeners: listenerStats(),
    resources: ownResources(),
    internalErrors: internalErrors(),
  });
}, HEARTBEAT_MS).unref();

send({
  t: "listening",
  ports: {
    tcp: echo.server("tcp")?.port ?? config.port,
    tls: echo.server("tls")?.port ?? null,
    udp: echo.udp?.port ?? null,
    profiles: Object.fromEntries(
      config.profile.map((p) => [p.name, echo.named(p.name)?.port ?? 0]),
    ),
  },
  addresses: serviceAddresses(echo),
});
