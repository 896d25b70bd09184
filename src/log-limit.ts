/**
 * A warning that a hostile client can trigger, logged at most once a second:
 * the first event of a quiet spell is logged at once, the rest are counted
 * and reported together a second later, so a flood cannot flood the log and
 * the last burst is never lost.
 */
import type { Logger } from "./log.ts";

export type LimitedWarning = (fields?: Record<string, unknown>) => void;

/** Logs `msg` at warn with `{ [countKey]: n, ...latest fields }`, at most once per `intervalMs`. */
export function createLimitedWarning(
  log: Logger,
  msg: string,
  countKey: string,
  intervalMs = 1000,
): LimitedWarning {
  let count = 0;
  let fields: Record<string, unknown> = {};
  let lastLog = Number.NEGATIVE_INFINITY;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const report = () => {
    timer = null;
    if (count === 0) return;
    log.warn({ [countKey]: count, ...fields }, msg);
    count = 0;
    lastLog = performance.now();
  };
  return (latest = {}) => {
    count++;
    fields = latest;
    const now = performance.now();
    if (now - lastLog >= intervalMs) report();
    else if (timer === null) {
      timer = setTimeout(report, intervalMs - (now - lastLog));
      timer.unref?.();
    }
  };
}
