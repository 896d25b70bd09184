/**
 * The engine's deadlines, run from its timers: failing an echo that takes
 * longer than --timeout, ending by force the connections still open when
 * the run's grace period after stopping runs out, opening connections at
 * --connect-rate and retiring them after --channel-lifetime.
 */
import type { Conn } from "./engine-conn.ts";
import { fail, settle } from "./engine-handlers.ts";
import { finishConn } from "./engine-lifecycle.ts";

export /** Ends the run's last connections by force, counting each one still connecting as a timeout. */
function abandon(conns: readonly Conn[]): void {
  for (const c of conns) {
    if (c.done) continue;
    if (c.socket === null) c.run.errors.timeout++;
    else if (!c.closing) fail(c, "timeout");
    finishConn(c);
  }
}

export /** Fails connections whose oldest message in flight is older than --timeout. */
function checkTimeouts(conns: readonly Conn[]): void {
  const now = performance.now();
  for (const c of conns) {
    if (c.socket === null || c.closing || c.sent === c.received) continue;
    const run = c.run;
    const oldest =
      run.interval > 0
        ? c.t0 + (c.slotBase + c.received) * run.interval
        : (c.batchTimes[c.batchHead] as number);
    if (now - oldest > run.o.timeout * 1000) fail(c, "timeout");
  }
}

export /** Opens each connection: all at once, or `rate` a second, evenly spaced (--connect-rate). */
function openAll<C>(
  items: readonly C[],
  rate: number | null,
  open: (item: C) => void,
  timers: Timer[],
): void {
  if (rate === null) {
    for (const item of items) open(item);
    return;
  }
  items.forEach((item, i) => {
    if (i === 0) open(item);
    else timers.push(setTimeout(() => open(item), (i * 1000) / rate));
  });
}

export /** --channel-lifetime: a connection open that long sends no more, and closes (then reconnects) once its echoes are in. */
function retire(conns: readonly Conn[], seconds: number): void {
  const now = performance.now();
  for (const c of conns) {
    if (c.socket === null || c.closing || c.retiring) continue;
    if (now - c.openedAt < seconds * 1000) continue;
    c.retiring = true;
    settle(c);
  }
}
