/**
 * The primary's watch over its workers' heartbeats: logs each worker's
 * change between healthy and silent once, and SIGKILLs a hung one (the exit
 * handler then restarts it like any dead worker).
 */
import type { Logger } from "../log.ts";
import { judge, SILENT_AFTER_MS } from "./health.ts";
import type { Slot } from "./slot.ts";

const MONITOR_MS = 500;

/** Starts watching `slots`; returns the function that stops it. */
export function startMonitor(slots: readonly Slot[], log: Logger): () => void {
  let lastTick = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    // If the primary itself was stopped, the silence is its own: start counting again.
    if (now - lastTick > SILENT_AFTER_MS) for (const slot of slots) slot.lastBeat = now;
    lastTick = now;
    for (const slot of slots) {
      if (slot.proc === null) continue;
      const health = judge(slot.listening, slot.startedAt, slot.lastBeat, now);
      if (health === slot.reported) continue;
      const at = {
        worker: slot.id,
        workerPid: slot.proc.pid,
        silentMs: Math.round(now - slot.lastBeat),
      };
      if (health === "hung") {
        log.error(at, "worker hung; killing it");
        slot.proc.kill("SIGKILL");
      } else if (health === "silent") {
        log.warn(at, "worker not answering; counted as not running");
      } else if (health === "healthy" && slot.reported === "silent") {
        log.info(at, "worker answering again");
      }
      slot.reported = health;
    }
  }, MONITOR_MS);
  timer.unref();
  return () => clearInterval(timer);
}
