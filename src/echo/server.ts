/**
 * `startEchoServer(config)`: binds the echo listener, runs the idle sweep
 * and drains gracefully on `stop()`. The CLI, the tests, the bench and the
 * worker processes all start echod through this one function.
 */
import type { TCPSocketListener, TCPSocketListenOptions } from "bun";
import type { Config } from "../config.ts";
import { EchodError } from "../errors.ts";
import { createSilentLogger, type Logger } from "../log.ts";
import type { Connection, EchoSocket } from "./connection.ts";
import { connectionLimit, FD_RESERVE, openFilesLimit } from "./fd-limit.ts";
import { createHandlers, type EchoContext, finish, logRejections } from "./handlers.ts";
import { createStats, type EchoStats } from "./stats.ts";

export interface StartOptions {
  readonly log?: Logger;
  /** Share the port with sibling worker processes (SO_REUSEPORT). */
  readonly reusePort?: boolean;
}

export interface ShutdownSummary {
  /** Connections that were open when shutdown began and drained in time. */
  readonly drained: number;
  /** Connections cut when --shutdown-timeout ran out. */
  readonly cut: number;
  readonly receivedBytes: number;
  readonly sentBytes: number;
  /** Bytes read after our FIN during the drain and dropped (see finish in handlers.ts). */
  readonly discardedBytes: number;
}

export interface EchoServer {
  readonly host: string;
  readonly port: number;
  readonly stats: EchoStats;
  readonly listening: boolean;
  /** Stops accepting and reading, flushes what each client sent, closes; cuts the rest after `timeoutSeconds`. */
  stop(timeoutSeconds?: number): Promise<ShutdownSummary>;
}

type ListenOptions = TCPSocketListenOptions<Connection> & { reusePort?: boolean };

export function startEchoServer(config: Config, options: StartOptions = {}): EchoServer {
  const log = options.log ?? createSilentLogger();
  const openFiles = openFilesLimit();
  const maxConnections = connectionLimit(config.maxConnections, openFiles);
  if (maxConnections < config.maxConnections) {
    log.warn(
      {
        maxConnections: config.maxConnections,
        effective: maxConnections,
        openFilesLimit: openFiles,
        reserve: FD_RESERVE,
      },
      "the open-files limit lowers the connection limit (raise ulimit -n to lift it)",
    );
  }
  const ctx: EchoContext = {
    stats: createStats(maxConnections),
    log,
    maxConnections,
    limitReason: maxConnections < config.maxConnections ? "fd_limit" : "max_connections",
    highWater: config.maxBuffer,
    lowWater: Math.floor(config.maxBuffer / 2),
    debug: log.isLevelEnabled("debug"),
    logData: config.logData && log.isLevelEnabled("info"),
    now: performance.now(),
    draining: false,
    sockets: new Set(),
    rejectedSinceLog: 0,
    lastRejectLog: Number.NEGATIVE_INFINITY,
  };
  const listenOptions: ListenOptions = {
    hostname: config.host,
    port: config.port,
    allowHalfOpen: true,
    reusePort: options.reusePort === true,
    socket: createHandlers(ctx),
  };
  let listener: TCPSocketListener<Connection>;
  try {
    listener = Bun.listen<Connection>(listenOptions);
  } catch (error) {
    throw listenError(config.host, config.port, error);
  }

  const idleMs = config.idleTimeout * 1000;
  // The sweep also advances the coarse clock; at most 1 s between ticks.
  const tickMs = idleMs > 0 ? Math.max(50, Math.min(1000, idleMs / 4)) : 1000;
  const sweep = setInterval(() => sweepIdle(ctx, idleMs, tickMs), tickMs);

  let listening = true;
  let stopping: Promise<ShutdownSummary> | null = null;

  return {
    host: config.host,
    port: listener.port,
    stats: ctx.stats,
    get listening() {
      return listening;
    },
    stop(timeoutSeconds = config.shutdownTimeout) {
      stopping ??= drain(ctx, timeoutSeconds, () => {
        listening = false;
        listener.stop(false);
      }).finally(() => clearInterval(sweep));
      return stopping;
    },
  };
}

function sweepIdle(ctx: EchoContext, idleMs: number, tickMs: number): void {
  ctx.now = performance.now();
  logRejections(ctx, ctx.now);
  if (idleMs <= 0) return;
  // lastActive lags real time by up to one tick, so wait one tick more: never early.
  const cutoff = ctx.now - idleMs - tickMs;
  for (const socket of ctx.sockets) {
    const conn = socket.data;
    if (conn.lastActive <= cutoff && conn.reason === null) {
      conn.reason = "idle_timeout";
      socket.terminate();
    }
  }
}

async function drain(
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
    if (conn.queued === 0) finish(socket, conn);
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

function listenError(host: string, port: number, error: unknown): EchodError {
  const code = (error as { code?: string }).code ?? "";
  const where = host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
  const why =
    code === "EADDRINUSE"
      ? "address already in use"
      : code === "EACCES"
        ? "permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)"
        : code === "EADDRNOTAVAIL"
          ? "address not available on this machine"
          : (error as Error).message;
  return new EchodError("E_LISTEN", `cannot listen on ${where}: ${why}`);
}

export type { EchoSocket };
