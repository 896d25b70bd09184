/**
 * `startEchoServer(config)`: binds one stream listener (TCP by default, or
 * TLS or a Unix socket), runs the idle sweep and drains gracefully on
 * `stop()`. Every stream listener is this same engine with the same
 * handlers; listeners.ts starts all the configured ones. The handler object
 * is chosen here: the raw one, or the fault pipeline's when framing or
 * faults are on, so the raw echo path carries no checks for them. The
 * control API changes a listener through `setFaults` (a new plan; the first
 * one with work moves the listener to the pipeline) and `setAccepting`.
 */
import { chmodSync } from "node:fs";
import type { SocketListener, TCPSocketListenOptions, TLSOptions, UnixSocketOptions } from "bun";
import { formatAddress } from "../address.ts";
import type { Config, FaultSettings } from "../config.ts";
import type { Identity } from "../identity/identity.ts";
import { listenError } from "../listen-error.ts";
import { createSilentLogger, type Logger } from "../log.ts";
import { faultsOf } from "../options/fault-settings.ts";
import { createAdmission } from "./admission.ts";
import type { Connection, EchoSocket } from "./connection.ts";
import { rejectionWarning } from "./context.ts";
import { createPlanHolder, needsPipeline } from "./faults/holder.ts";
import { createFaultHandlers } from "./faults/pipeline.ts";
import { createFaultPlan } from "./faults/plan.ts";
import { type FollowedLimit, followOpenFilesLimit, initialConnectionLimit } from "./fd-limit.ts";
import { createHandlers } from "./handlers.ts";
import { sweepIdle } from "./idle-sweep.ts";
import { createSharedLimits, type EchoContext, type SharedLimits } from "./lifecycle.ts";
import { handlerChoice, type ListenerSpec } from "./listener-handlers.ts";
import { createMemoryBudget, type MemoryBudget } from "./memory-budget.ts";
import { resolveMemoryBudget } from "./memory-limit.ts";
import { drain, type ShutdownSummary } from "./shutdown.ts";
import { createStats, type EchoStats, type StreamKind } from "./stats.ts";

export type { ListenerSpec, ShutdownSummary, StreamKind };

export interface StartOptions {
  readonly log?: Logger;
  /** Share the port with sibling worker processes (SO_REUSEPORT). */
  readonly reusePort?: boolean;
  readonly listener?: ListenerSpec;
  /** Connection counts shared with the other listeners of one echod, so limits hold across them. */
  readonly limits?: SharedLimits;
  /** The --max-memory budget shared with the other listeners; else this listener's own from config. */
  readonly memory?: MemoryBudget | null;
  /** Who this echod is, for --banner; read from the environment when not given. */
  readonly identity?: Identity;
  /** The `listener` label and control API name: the kind, or a --profile name. */
  readonly name?: string;
  /** The listener's faults, if not the flags' (a --profile's). */
  readonly faults?: FaultSettings;
}

/** Who a fault change reaches: new connections only, or the open ones too from their next chunk. */
export type FaultScope = "new" | "all";

export interface EchoServer {
  readonly kind: StreamKind;
  /** The `listener` label: the kind, or a --profile name. */
  readonly name: string;
  readonly host: string;
  /** The bound port (0 for a Unix socket). */
  readonly port: number;
  /** Where it listens, for log lines: 127.0.0.1:7007, [::1]:7007 or the socket path. */
  readonly address: string;
  readonly stats: EchoStats;
  readonly listening: boolean;
  /** False while taken down by the control API (connections refused; open ones go on). */
  readonly accepting: boolean;
  /** The faults new connections get. */
  faults(): FaultSettings;
  /** With --control or --faults only: new connections (and with "all", open ones) get `faults`. */
  setFaults(faults: FaultSettings, scope: FaultScope): void;
  /** Stops accepting (false) or binds the same port again (true); open connections go on. */
  setAccepting(accepting: boolean): void;
  /** Stops accepting and reading, flushes what each client sent, closes; cuts the rest after `timeoutSeconds`. */
  stop(timeoutSeconds?: number): Promise<ShutdownSummary>;
  /**
   * TLS only: new connections get `tls` (a new certificate) from now on;
   * open ones keep theirs. Throws an EchodError if the listener cannot rebind.
   */
  reloadTls(tls: TLSOptions): void;
}

type ListenOptions = TCPSocketListenOptions<Connection> & { reusePort?: boolean };

export function startEchoServer(config: Config, options: StartOptions = {}): EchoServer {
  const log = options.log ?? createSilentLogger();
  const spec = options.listener ?? { kind: "tcp" };
  const maxConnections = initialConnectionLimit(config.maxConnections, log);
  // The limit follows the open-files limit while echod runs (see fd-limit.ts).
  const ctx: EchoContext & FollowedLimit = {
    stats: createStats(maxConnections),
    log,
    limits: options.limits ?? createSharedLimits(),
    maxConnections,
    limitReason: maxConnections < config.maxConnections ? "fd_limit" : "max_connections",
    // A Unix socket peer has no IP address to count.
    maxConnectionsPerIp: spec.kind === "unix" ? 0 : config.maxConnectionsPerIp,
    highWater: config.maxBuffer,
    lowWater: Math.floor(config.maxBuffer / 2),
    debug: log.isLevelEnabled("debug"),
    logData: config.logData && log.isLevelEnabled("info"),
    now: performance.now(),
    draining: false,
    memory:
      options.memory !== undefined
        ? options.memory
        : createMemoryBudget(resolveMemoryBudget(config.maxMemory)),
    overBudget: false,
    sockets: new Set(),
    rejections: rejectionWarning(log),
    admit: createAdmission(config, spec.kind !== "unix"),
    proxied: null,
  };
  if (ctx.memory !== null) {
    ctx.memory.members.push(ctx);
    ctx.stats.memoryBudget = ctx.memory.limit;
  }
  let faults = options.faults ?? faultsOf(config);
  const faultPlan = createFaultPlan({ ...config, ...faults });
  // With --control (or --faults) there is always a plan: the listener can gain faults.
  const holder = faultPlan ? createPlanHolder(faultPlan) : null;
  // With the PROXY protocol, a TLS listener accepts plain TCP and TLS starts after the header.
  let currentTls = spec.kind === "tls" ? spec.tls : undefined;
  const choice = handlerChoice(ctx, config, spec, log, () => currentTls, options.identity);
  const pipeline = (h: NonNullable<typeof holder>) => createFaultHandlers(ctx, h, choice.whoami);
  // Until a plan has work for it, even a listener that can change runs the raw handlers; but
  // behind a PROXY stage, which keeps the echo handlers it was given, it starts on the pipeline.
  let piped = holder !== null && (needsPipeline(holder.plan) || choice.behindProxy);
  let handlers = choice.compose(holder && piped ? pipeline(holder) : createHandlers(ctx));
  const native = (tls: TLSOptions | undefined) => (choice.tlsAfterHeader ? undefined : tls);
  const port = spec.kind === "unix" ? 0 : (spec.port ?? config.port);
  const listen = (boundPort: number, tls: TLSOptions | undefined): SocketListener<Connection> => {
    try {
      if (spec.kind === "unix") {
        const unixOptions: UnixSocketOptions<Connection> = {
          unix: spec.path,
          allowHalfOpen: true,
          socket: handlers,
        };
        const unixListener = Bun.listen<Connection>(unixOptions);
        chmodSync(spec.path, spec.mode);
        return unixListener;
      }
      const listenOptions: ListenOptions = {
        hostname: config.host,
        port: boundPort,
        allowHalfOpen: true,
        // TLS always sets SO_REUSEPORT: a certificate reload binds a new listener beside the old one.
        reusePort: options.reusePort === true || spec.kind === "tls",
        socket: handlers,
        ...(tls ? { tls } : {}),
      };
      return Bun.listen<Connection>(listenOptions);
    } catch (error) {
      const where = spec.kind === "unix" ? spec.path : formatAddress(config.host, boundPort);
      throw listenError(spec.kind, where, error);
    }
  };
  let listener = listen(port, native(currentTls));
  const boundPort = spec.kind === "unix" ? 0 : (listener as unknown as { port: number }).port;
  // Listeners replaced by a TLS reload: kept (not accepting) while their connections finish.
  const retired: SocketListener<Connection>[] = [];

  const idleMs = config.idleTimeout * 1000;
  // The sweep also advances the coarse clock; at most 1 s between ticks.
  const tickMs = idleMs > 0 ? Math.max(50, Math.min(1000, idleMs / 4)) : 1000;
  const sweep = setInterval(() => {
    followOpenFilesLimit(ctx, config.maxConnections, log, spec.kind, performance.now());
    sweepIdle(ctx, idleMs, tickMs);
  }, tickMs);

  let listening = true;
  let accepting = true;
  let stopping: Promise<ShutdownSummary> | null = null;

  return {
    kind: spec.kind,
    name: options.name ?? spec.kind,
    host: config.host,
    port: boundPort,
    address: spec.kind === "unix" ? spec.path : formatAddress(config.host, boundPort),
    stats: ctx.stats,
    get listening() {
      return listening;
    },
    get accepting() {
      return accepting;
    },
    faults: () => faults,
    setFaults(next, scope) {
      if (holder === null) throw new Error("setFaults on a listener on the raw path");
      faults = next;
      holder.plan = createFaultPlan({ ...config, ...next }) as NonNullable<typeof faultPlan>;
      if (!piped && needsPipeline(holder.plan)) {
        // Off the raw handlers for good: reload() gives every socket of the listener,
        // open ones too, the pipeline's handlers, which make their state on first use.
        piped = true;
        holder.rawEpoch = holder.epoch;
        handlers = choice.compose(pipeline(holder));
        for (const l of [listener, ...retired]) l.reload({ socket: handlers });
      }
      if (scope === "all") holder.epoch++;
    },
    setAccepting(next) {
      if (spec.kind === "unix") throw new Error("a Unix socket listener cannot be taken down");
      if (next === accepting || !listening) return;
      if (next) listener = listen(boundPort, native(currentTls));
      else listener.stop(false);
      accepting = next;
    },
    stop(timeoutSeconds = config.shutdownTimeout) {
      stopping ??= drain(ctx, timeoutSeconds, () => {
        listening = false;
        if (accepting) listener.stop(false);
        for (const old of retired) old.stop(false);
      }).finally(() => {
        clearInterval(sweep);
        retired.length = 0;
      });
      return stopping;
    },
    reloadTls(tls) {
      if (spec.kind !== "tls") throw new Error(`reloadTls on a ${spec.kind} listener`);
      currentTls = tls;
      if (!listening || !accepting) return;
      const next = listen(boundPort, native(tls));
      // The old listener stops accepting; its open connections keep going.
      listener.stop(false);
      retired.push(listener);
      listener = next;
    },
  };
}

export type { EchoSocket };
