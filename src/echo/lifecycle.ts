/**
 * The life of a connection, shared by the raw handlers (handlers.ts) and the
 * fault pipeline (faults/pipeline.ts): taking it into service or rejecting it
 * past a limit, the rate-limited rejection warning, booking each chunk read
 * (and its --log-data dump), pausing above the high-water mark, finishing
 * and closing it. Imports point down only: to the connection state and the
 * counters.
 */
import { type Connection, createConnection, discard, type EchoSocket } from "./connection.ts";
import type { EchoContext } from "./context.ts";
import { checkBudget, forgetSocket, type MemoryBudget } from "./memory-budget.ts";
import { clientAddress, remoteForLog } from "./proxy/types.ts";
import { type CloseReason, observeDuration, type RejectReason } from "./stats.ts";

export { createSharedLimits, type EchoContext, type SharedLimits } from "./context.ts";

/** How many bytes of each connection --log-data dumps, in total. */
const LOG_DATA_CAP = 64;

/**
 * Takes a new connection into service, or rejects it past a limit. Returns
 * the connection, or null when it was rejected.
 */
export function openConnection(ctx: EchoContext, socket: EchoSocket): Connection | null {
  const limits = ctx.limits;
  const proxied = ctx.proxied;
  // Read only for a check that needs it: the raw path's connections skip the native getter.
  const address =
    ctx.admit !== null || ctx.maxConnectionsPerIp > 0 ? clientAddress(socket, proxied) : "";
  const refused = ctx.admit === null ? null : ctx.admit(address, performance.now());
  if (refused !== null) {
    reject(ctx, socket, refused);
    return null;
  }
  if (limits.active >= ctx.maxConnections) {
    reject(ctx, socket, ctx.limitReason);
    return null;
  }
  let ip: string | null = null;
  if (ctx.maxConnectionsPerIp > 0) {
    ip = address;
    const open = limits.perIp.get(ip) ?? 0;
    if (open >= ctx.maxConnectionsPerIp) {
      reject(ctx, socket, "per_ip_limit");
      return null;
    }
    limits.perIp.set(ip, open + 1);
  }
  // The address string is only for log lines: building it costs every short connection.
  const remote = ctx.debug || ctx.logData ? remoteForLog(socket, proxied) : "";
  const conn = createConnection(performance.now(), remote, ip, proxied);
  socket.data = conn;
  ctx.stats.accepted++;
  ctx.stats.active++;
  limits.active++;
  ctx.sockets.add(socket);
  if (ctx.debug) ctx.log.debug({ remote: conn.remote }, "connection opened");
  return conn;
}

/** Books a served connection's end: counters, the per-IP count, the debug line. */
export function closeConnection(ctx: EchoContext, socket: EchoSocket, error?: Error): void {
  const conn = socket.data;
  if (conn === undefined) return; // a rejected connection, already counted
  const stats = ctx.stats;
  ctx.sockets.delete(socket);
  const reason: CloseReason = conn.reason ?? (error ? reasonForError(error) : "peer_closed");
  discard(conn, stats);
  if (ctx.overBudget) forgetSocket(ctx.memory as MemoryBudget, socket);
  stats.active--;
  ctx.limits.active--;
  if (conn.ip !== null) {
    const left = (ctx.limits.perIp.get(conn.ip) ?? 1) - 1;
    if (left > 0) ctx.limits.perIp.set(conn.ip, left);
    else ctx.limits.perIp.delete(conn.ip);
  }
  stats.closed[reason]++;
  const seconds = (performance.now() - conn.openedAt) / 1000;
  observeDuration(stats, seconds);
  if (ctx.debug) {
    ctx.log.debug(
      {
        remote: conn.remote,
        bytesIn: conn.bytesIn,
        bytesOut: conn.bytesOut,
        durationMs: Math.round(seconds * 1000),
        reason,
      },
      "connection closed",
    );
  }
}

/**
 * Pauses reading once a connection holds more than the high-water mark
 * (`held`: queued bytes, plus what a fault stage holds), or once the
 * process's queued bytes pass --max-memory (memory-budget.ts).
 */
export function pauseAboveHighWater(
  ctx: EchoContext,
  socket: EchoSocket,
  conn: Connection,
  held: number,
): void {
  if (conn.paused) return;
  if (held > ctx.highWater) {
    conn.paused = true;
    ctx.stats.backpressurePauses++;
    socket.pause();
  } else if (ctx.memory !== null) {
    checkBudget(ctx.memory, ctx, socket);
  }
}

/** The error handler of every stream listener: remembers why, the close handler books it. */
export function recordError(socket: EchoSocket, error: unknown): void {
  const conn = socket.data;
  if (conn !== undefined && conn.reason === null) conn.reason = reasonForError(error);
}

export function resume(socket: EchoSocket, conn: Connection): void {
  conn.paused = false;
  socket.resume();
}

/**
 * Called once everything the peer sent has been written back. If the peer
 * already sent its FIN, close. Otherwise (shutdown) send our FIN but keep
 * reading and dropping input until the peer closes: closing a socket whose
 * receive buffer holds unread bytes makes the kernel send RST, which throws
 * away echo still in the send buffer (Apache's "lingering close").
 */
export function finish(socket: EchoSocket, conn: Connection): void {
  if (conn.ended) return;
  if (conn.peerEnded) {
    conn.ended = true;
    socket.end();
    return;
  }
  if (conn.lingering) return;
  conn.lingering = true;
  socket.shutdown();
  if (conn.paused) resume(socket, conn);
}

/** Takes any value: Bun calls error handlers with `undefined` too (docs/bun-notes.md). */
export function reasonForError(error: unknown): CloseReason {
  const code =
    typeof error === "object" && error !== null ? (error as { code?: unknown }).code : undefined;
  return code === "ECONNRESET" || code === "EPIPE" ? "peer_reset" : "error";
}

/** Closes a new connection at once, counted and logged (at most a line a second) as rejected for `reason`. */
export function reject(ctx: EchoContext, socket: EchoSocket, reason: RejectReason): void {
  ctx.stats.rejected[reason]++;
  ctx.rejections({
    reason,
    maxConnections: ctx.maxConnections,
    ...(ctx.maxConnectionsPerIp > 0 ? { maxConnectionsPerIp: ctx.maxConnectionsPerIp } : {}),
  });
  // FIN now. Bun closes the descriptor right away (the kernel finishes the
  // handshake), so rejected connections hold no file descriptor.
  socket.end();
}

/**
 * Books a chunk just read and says whether to echo it: a connection that
 * lingers after our FIN (or that a fault cut, `drop`) reads its input and
 * drops it. The first LOG_DATA_CAP bytes of a connection go to --log-data.
 */
export function receive(ctx: EchoContext, conn: Connection, chunk: Buffer, drop: boolean): boolean {
  const length = chunk.length;
  const stats = ctx.stats;
  stats.receivedBytes += length;
  if (drop) {
    stats.discardedBytes += length;
    return false;
  }
  conn.bytesIn += length;
  conn.lastActive = ctx.now;
  if (ctx.logData && conn.bytesIn - length < LOG_DATA_CAP) logData(ctx, conn, chunk, length);
  return true;
}

function logData(ctx: EchoContext, conn: Connection, chunk: Uint8Array, length: number): void {
  const offset = conn.bytesIn - length;
  const take = Math.min(length, LOG_DATA_CAP - offset);
  ctx.log.info(
    {
      remote: conn.remote,
      offset,
      length,
      hex: Buffer.from(chunk.buffer, chunk.byteOffset, take).toString("hex"),
    },
    "data",
  );
}
