/**
 * A line that a hostile client (or a bug hit in a loop) can trigger, logged
 * at most once an interval: the first event of a quiet spell is logged at
 * once, the rest are counted and reported together when the interval ends,
 * so a flood cannot flood the log and the last burst is never lost. Every
 * rate-limited line of echod goes through here: rejected connections, bad
 * PROXY headers, failed TLS handshakes, over-size messages, refused control
 * requests, admin 500s and internal errors.
 */
import type { Logger } from "./log.ts";

export type LimitedWarning = (fields?: Record<string, unknown>) => void;

export interface LimitOptions {
  /** Default warn; 500s and internal errors are errors. */
  readonly level?: "warn" | "error";
  /** Default 1000 ms. */
  readonly intervalMs?: number;
  /** The clock (ms); tests set it. */
  readonly now?: () => number;
}

/**
 * Logs `msg` with `{ [countKey]: n, ...latest fields }`, at most once per
 * interval: `n` is 1 on a line logged at once, and the number of events it
 * stands for on the line that ends a burst.
 */
export function createLimitedWarning(
  log: Logger,
  msg: string,
  countKey: string,
  { level = "warn", intervalMs = 1000, now = () => performance.now() }: LimitOptions = {},
): LimitedWarning {
  let count = 0;
  let fields: Record<string, unknown> = {};
  let lastLog = Number.NEGATIVE_INFINITY;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const report = () => {
    timer = null;
    if (count === 0) return;
    const n = count;
    count = 0;
    lastLog = now();
    log[level]({ [countKey]: n, ...fields }, msg);
  };
  return (latest = {}) => {
    count++;
    fields = latest;
    const t = now();
    if (t - lastLog >= intervalMs) report();
    else if (timer === null) {
      timer = setTimeout(report, Math.max(1, intervalMs - (t - lastLog)));
      timer.unref?.();
    }
  };
}
