/**
 * Connecting, reconnecting after a failure or a clean close, and finishing a
 * connection once the run is over: the cold path of a connection's life,
 * apart from the per-message handlers.
 */
import type { Conn } from "./engine-conn.ts";

export function connect(c: Conn): void {
  const run = c.run;
  c.closing = false;
  c.connectStart = performance.now();
  const o = run.o;
  const tls = o.tls === null ? {} : { tls: o.tls };
  (o.unix === null
    ? Bun.connect<Conn>({ hostname: o.host, port: o.port, ...tls, data: c, socket: run.handlers })
    : Bun.connect<Conn>({ unix: o.unix, ...tls, data: c, socket: run.handlers })
  ).catch(() => {
    // Reported through connectError.
  });
}

export /** After a failure or a clean close: connect again, or finish this connection if the run is over. */
function next(c: Conn, delayMs: number): void {
  c.socket = null;
  const run = c.run;
  if (run.phase === "stopping" || run.budget <= 0) {
    finishConn(c);
    return;
  }
  if (delayMs > 0)
    setTimeout(() => (run.phase === "stopping" ? finishConn(c) : connect(c)), delayMs);
  else connect(c);
}

export function finishConn(c: Conn): void {
  if (c.done) return;
  c.done = true;
  if (--c.run.live === 0) c.run.finish();
}
