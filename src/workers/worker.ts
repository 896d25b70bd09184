#!/usr/bin/env bun
/**
 * Entry point of one echo worker process, started by the primary
 * (supervisor.ts) with the resolved configuration as JSON in argv. It runs
 * the same echo engine as single-process echod, on the shared port
 * (SO_REUSEPORT), and answers the primary's requests for counters.
 */
import type { Config } from "../config.ts";
import { type EchoServer, startEchoServer } from "../echo/server.ts";
import { EchodError } from "../errors.ts";
import { createLogger } from "../log.ts";
import { ownResources } from "../metrics.ts";
import type { FromWorker, ToWorker } from "./protocol.ts";

const config = JSON.parse(process.argv[2] ?? "{}") as Config;
const id = Number(process.argv[3] ?? 0);
const log = createLogger(config.logLevel, config.logFormat).child({ worker: id });
const send = (message: FromWorker) => process.send?.(message);

let server: EchoServer;
try {
  server = startEchoServer(config, { log, reusePort: true });
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
  const summary = await server.stop();
  log.debug(summary, "worker stopped");
  // Exit only once the summary is on its way to the primary.
  const stopped: FromWorker = { t: "stopped", summary };
  if (process.send === undefined) process.exit(0);
  process.send(stopped, undefined, undefined, () => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
}

process.on("message", (message: ToWorker) => {
  if (message.t === "stats") {
    send({ t: "stats", seq: message.seq, stats: server.stats, resources: ownResources() });
  } else if (message.t === "stop") {
    void stop();
  }
});
// Ctrl-C reaches the whole process group; the primary's stop message may come second.
process.on("SIGINT", () => void stop());
process.on("SIGTERM", () => void stop());
// A primary that died cannot supervise us: drain and leave rather than linger.
process.on("disconnect", () => void stop());

send({ t: "listening", port: server.port });
