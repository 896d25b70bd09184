/**
 * What echod-bench loads: the target on its command line, one of
 * `host:port` or `tcp://host:port` (plain TCP), `tls://host:port`,
 * `unix:/path` and `udp://host:port`, and the TLS client settings
 * (--ca, --cert, --key, --servername, --insecure), read here once so that
 * worker threads get the PEM text, not paths.
 */
import { readFileSync } from "node:fs";
import { usageError } from "../../src/errors.ts";

export type Transport = "tcp" | "tls" | "unix" | "udp";

export interface Endpoint {
  readonly transport: Transport;
  /** TCP, TLS and UDP: where to connect ("" for Unix). */
  readonly host: string;
  readonly port: number;
  /** Unix only: the socket's path. */
  readonly unix: string | null;
}

/** Client-side TLS, as Bun.connect takes it: PEM text, so it can be posted to a worker. */
export interface ClientTls {
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  readonly serverName?: string;
  readonly rejectUnauthorized: boolean;
}

export function parseEndpoint(target: string): Endpoint {
  const scheme = /^([a-z]+):(\/\/)?/.exec(target);
  if (scheme?.[1] === "unix" && scheme[2] === undefined) {
    const path = target.slice("unix:".length);
    if (path === "" || path.includes("\0")) {
      throw usageError("target", target, "must be unix:/path/to/socket");
    }
    return { transport: "unix", host: "", port: 0, unix: path };
  }
  if (scheme?.[2] !== undefined) {
    const transport = scheme[1] as Transport;
    if (!["tcp", "tls", "udp"].includes(transport)) {
      throw usageError(
        "target",
        target,
        "the scheme must be tcp://, tls://, udp:// or unix: (or none, for TCP)",
      );
    }
    return { transport, ...parseHostPort(target.slice(scheme[0].length)), unix: null };
  }
  return { transport: "tcp", ...parseHostPort(target), unix: null };
}

/** The target as reports show it: `host:port` for TCP, else with its scheme. */
export function formatEndpoint(e: Endpoint): string {
  if (e.transport === "unix") return `unix:${e.unix}`;
  const hostPort = e.host.includes(":") ? `[${e.host}]:${e.port}` : `${e.host}:${e.port}`;
  return e.transport === "tcp" ? hostPort : `${e.transport}://${hostPort}`;
}

const TLS_FLAGS = ["ca", "cert", "key", "servername", "insecure"] as const;

/** The TLS settings of a tls:// target from yargs' raw values; null for other targets. */
export function clientTls(e: Endpoint, a: Record<string, unknown>): ClientTls | null {
  if (e.transport !== "tls") {
    for (const f of TLS_FLAGS) {
      if (a[f] !== undefined && a[f] !== false) {
        throw usageError(`--${f}`, a[f], "applies to a tls:// target only");
      }
    }
    return null;
  }
  if ((a.cert === undefined) !== (a.key === undefined)) {
    const [given, missing] = a.cert === undefined ? ["key", "cert"] : ["cert", "key"];
    throw usageError(
      `--${given}`,
      a[given],
      `needs --${missing} too (a client certificate and its key)`,
    );
  }
  const pem = (flag: "ca" | "cert" | "key") => {
    if (a[flag] === undefined) return {};
    try {
      return { [flag]: readFileSync(String(a[flag]), "utf8") };
    } catch (error) {
      throw usageError(`--${flag}`, a[flag], `cannot be read (${(error as Error).message})`);
    }
  };
  return {
    ...pem("ca"),
    ...pem("cert"),
    ...pem("key"),
    ...(a.servername === undefined ? {} : { serverName: String(a.servername) }),
    rejectUnauthorized: a.insecure !== true,
  };
}

/** "127.0.0.1:7007", "localhost:7007", "[::1]:7007". */
export function parseHostPort(target: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):([1-9]\d*)$/.exec(target);
  const port = match ? Number(match[3]) : Number.NaN;
  if (!match || !Number.isInteger(port) || port < 1 || port > 65_535) {
    throw usageError(
      "target",
      target,
      "must be host:port with a port from 1 to 65535, such as 127.0.0.1:7007 or [::1]:7007",
    );
  }
  return { host: (match[1] ?? match[2]) as string, port };
}
