/**
 * The graceful drain of one stream listener on `stop()`: no new
 * connections, reading paused, each connection ended once what it holds has
 * gone out (see finish in lifecycle.ts), and the ones still open when the
 * timeout runs out cut.
 */
import { pendingBytes } from "./faults/pending.ts";
import { type EchoContext, finish } from "./lifecycle.ts";

export interface ShutdownSummary {
  /** Connections that were open when shutdown began and drained in time. */
  readonly drained: number;
  /** Connections cut when --shutdown-timeout ran out. */
  readonly cut: number;
  readonly receivedBytes: number;
  readonly sentBytes: number;
  /** Bytes read after our FIN during the drain and dropped (see finish in lifecycle.ts). */
  readonly discardedBytes: number;
}

/** The summaries added up field by field (of several listeners, or of worker processes). */
export function sumSummaries(summaries: readonly ShutdownSummary[]): ShutdownSummary {
  const sum = (key: keyof ShutdownSummary) => summaries.reduce((n, s) => n + s[key], 0);
  return {
    drained: sum("drained"),
    cut: sum("cut"),
    receivedBytes: sum("receivedBytes"),
    sentBytes: sum("sentBytes"),
    discardedBytes: sum("discardedBytes"),
  };
}

export async function drain(
  ctx: EchoContext,
  timeoutSeconds: number,
  closeListener: () => void,
): Promise<ShutdownSummary> {
  closeListener();
  ctx.draining = true;
  const open = [...ctx.sockets];
  for (const socket of open) {
    const conn = socket.data;
    conn.reason ??= "shutdown";
    conn.endWhenFlushed = true;
    if (!conn.paused) {
      conn.paused = true;
      socket.pause();
    }
    if (conn.queued === 0 && pendingBytes(conn) === 0) {
      finish(socket, conn);
    }
  }
  const deadline = performance.now() + timeoutSeconds * 1000;
  while (ctx.sockets.size > 0 && performance.now() < deadline) {
    await Bun.sleep(Math.min(20, Math.max(1, deadline - performance.now())));
  }
  const cut = ctx.sockets.size;
  for (const socket of ctx.sockets) {
    socket.data.reason = "shutdown_timeout";
    socket.terminate();
  }
  // terminate() reports close synchronously or on the next tick; wait for the books to balance.
  for (let i = 0; i < 50 && ctx.sockets.size > 0; i++) await Bun.sleep(1);
  return {
    drained: open.length - cut,
    cut,
    receivedBytes: ctx.stats.receivedBytes,
    sentBytes: ctx.stats.sentBytes,
    discardedBytes: ctx.stats.discardedBytes,
  };
}
