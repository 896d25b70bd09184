/**
 * `startListeners(config)`: starts every configured listener (TCP always;
 * TLS, Unix, UDP and each --profile's TCP port when asked) and returns one
 * object with one `stop()`
 * that drains them all. Stream listeners are each a `startEchoServer` with
 * their own EchoStats (the `listener` label in metrics) and one shared
 * connection count, so --max-connections and --max-connections-per-ip hold
 * across them. If one listener cannot start, those already started are
 * stopped and the error is thrown.
 */
import type { Config, FaultSettings } from "../config.ts";
import { createSilentLogger, type Logger } from "../log.ts";
import { createSharedLimits } from "./lifecycle.ts";
import { createMemoryBudget } from "./memory-budget.ts";
import { resolveMemoryBudget } from "./memory-limit.ts";
import {
  type EchoServer,
  type ListenerSpec,
  type ShutdownSummary,
  type StreamKind,
  startEchoServer,
} from "./server.ts";
import { sumSummaries } from "./shutdown.ts";
import { loadTlsOptions, tlsFiles } from "./tls.ts";
import { startUdpEcho, type UdpEchoServer } from "./udp.ts";
import { prepareUnixPath } from "./unix.ts";

export interface EchoService {
  /** The stream listeners, TCP first. */
  readonly servers: readonly EchoServer[];
  readonly udp: UdpEchoServer | null;
  /** The stream listener of that kind, if configured (TCP: the main port, not a profile's). */
  server(kind: StreamKind): EchoServer | undefined;
  /** The stream listener of that name (a kind, or a --profile name). */
  named(name: string): EchoServer | undefined;
  /**
   * Re-reads the TLS files; new TLS connections get the new certificate,
   * open ones keep going. Throws an EchodError naming the bad file (the old
   * certificate then stays in use). Does nothing without a TLS listener.
   */
  reloadTls(): void;
  /** Drains every listener (see EchoServer.stop) and adds up their summaries. */
  stop(timeoutSeconds?: number): Promise<ShutdownSummary>;
}

export interface ServiceOptions {
  readonly log?: Logger;
  readonly reusePort?: boolean;
  /** Faults by listener name, over the flags and profiles (--faults FILE, or the control API's in a restarted worker). */
  readonly faults?: Readonly<Record<string, FaultSettings>>;
}

export async function startListeners(
  config: Config,
  options: ServiceOptions = {},
): Promise<EchoService> {
  const log = options.log ?? createSilentLogger();
  const files = tlsFiles(config);
  // Read the certificate before binding anything: a bad file is a usage error.
  const tls = files ? loadTlsOptions(files) : null;
  const limits = createSharedLimits();
  // One budget for all stream listeners of this process (memory-budget.ts).
  const memory = createMemoryBudget(resolveMemoryBudget(config.maxMemory));
  const servers: EchoServer[] = [];
  let udp: UdpEchoServer | null = null;
  const start = (listener: ListenerSpec, name: string = listener.kind, own?: FaultSettings) => {
    const faults = options.faults?.[name] ?? own;
    servers.push(
      startEchoServer(config, {
        log,
        limits,
        memory,
        listener,
        name,
        ...(faults ? { faults } : {}),
        ...(options.reusePort ? { reusePort: true } : {}),
      }),
    );
  };
  try {
    start({ kind: "tcp" });
    for (const p of config.profile) start({ kind: "tcp", port: p.port }, p.name, p.faults);
    if (tls !== null && config.tlsPort !== null) {
      start({ kind: "tls", port: config.tlsPort, tls });
    }
    if (config.unix !== null) {
      await prepareUnixPath(config.unix);
      start({ kind: "unix", path: config.unix, mode: config.unixMode });
    }
    if (config.udpPort !== null) udp = await startUdpEcho(config, config.udpPort, log);
  } catch (error) {
    await Promise.all(servers.map((s) => s.stop(0)));
    throw error;
  }

  return {
    servers,
    udp,
    server: (kind) => servers.find((s) => s.name === kind),
    named: (name) => servers.find((s) => s.name === name),
    reloadTls() {
      const server = servers.find((s) => s.kind === "tls");
      if (server === undefined || files === null) return;
      server.reloadTls(loadTlsOptions(files));
    },
    async stop(timeoutSeconds = config.shutdownTimeout) {
      udp?.stop();
      const summaries = await Promise.all(servers.map((s) => s.stop(timeoutSeconds)));
      return sumSummaries(summaries);
    },
  };
}
