/**
 * What main.ts runs: echo in this process, or in worker processes under a
 * supervisor. Both are a Runtime (types.ts) to the admin server, the
 * metrics and shutdown.
 */
import type { Config, FaultSettings } from "../config.ts";
import type { Logger } from "../log.ts";
import { startLocalRuntime } from "./local.ts";
import type { Runtime } from "./types.ts";

export type { Runtime } from "./types.ts";

/** `faults`: by listener name, over the flags and profiles (from --faults FILE). */
export async function startRuntime(
  config: Config,
  log: Logger,
  faults?: Readonly<Record<string, FaultSettings>>,
): Promise<Runtime> {
  if (config.workers > 1) {
    // Loaded only with --workers: single-process echod never reads the supervisor.
    const { startWorkers } = await import("../workers/supervisor.ts");
    return startWorkers(config, log, faults);
  }
  return startLocalRuntime(config, log, faults);
}
