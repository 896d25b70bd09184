/**
 * The admin sidecar: a Bun.serve HTTP server on its own port, in the same
 * event loop as the echo listener, serving /metrics, /livez and /readyz.
 * It does nothing but read counters, so a scrape costs well under a
 * millisecond of echo time. Routing reads the path from the request target
 * (pathOf), never from the URL Bun builds with the Host header: without a
 * usable one (HTTP/1.0, `Host:`, `Host: [::1`, `Host: x:99999`) that URL does
 * not parse, and every such request used to be a 500.
 */
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import type { Server } from "bun";
import { formatAddress } from "../address.ts";
import { EchodError } from "../errors.ts";
import { type Identity, readIdentity } from "../identity/identity.ts";
import { listenError } from "../listen-error.ts";
import type { Logger } from "../log.ts";
import { createLimitedWarning } from "../log-limit.ts";
import { type MetricsRegistries, registryFor } from "../metrics/registry.ts";
import type { ControlRoutes } from "./control/routes.ts";
import { whoamiResponse } from "./whoami.ts";

export interface AdminOptions {
  readonly host: string;
  readonly port: number;
  readonly metrics: MetricsRegistries;
  /** Fetches fresh counters (from worker processes) before a scrape. */
  readonly refresh?: () => Promise<void>;
  /** True while echod accepts connections (drives /readyz). */
  readonly ready: () => boolean;
  /** True, or why echod wants restarting (drives /livez: 503 with the reason). Live if absent. */
  readonly live?: () => true | string;
  /** Where a 500 is reported (at most one line a second). */
  readonly log?: Logger;
  /** Who this echod is, for /whoami; read from the environment when not given. */
  readonly identity?: Identity;
  /** The control API (--control): /faults and /control/... */
  readonly control?: ControlRoutes;
}

export interface AdminServer {
  readonly port: number;
  stop(): Promise<void>;
}

const TEXT = { "content-type": "text/plain; charset=utf-8" };
const ROUTES = new Set(["/metrics", "/livez", "/readyz", "/whoami"]);
const ALLOW = "GET, HEAD, OPTIONS";

/**
 * Binds the admin port. A host name is resolved first: when Bun.serve cannot
 * resolve its hostname it throws with whatever errno was left over (seen:
 * EINVAL, ENOENT, and errno 0 reported as "Is port 0 in use?"), so its error
 * cannot tell a bad --metrics-host from a busy port.
 */
export async function startAdminServer(options: AdminOptions): Promise<AdminServer> {
  const where = formatAddress(options.host, options.port);
  await checkHost(options.host, where);
  const report = rateLimited(options.log);
  const failed = (error: unknown, request?: Request): Response => {
    report(error, request);
    return new Response("internal error\n", { status: 500, headers: TEXT });
  };
  const identity = options.identity ?? readIdentity(process.env);
  let server: Server<undefined>;
  try {
    server = Bun.serve({
      hostname: options.host,
      // Always explicit: without a port Bun.serve takes $PORT, then 3000.
      port: options.port,
      // Never show source in error pages.
      development: false,
      fetch: (request, srv) =>
        route(request, options, srv, identity).catch((error) => failed(error, request)),
      error: (error) => failed(error),
    });
  } catch (error) {
    // An address that is not this machine's is bad configuration (2); a busy port is not (1).
    throw listenError("admin", where, error);
  }
  return {
    port: server.port ?? options.port,
    stop: () => server.stop(true),
  };
}

/** A --metrics-host name that does not resolve is bad configuration: exit 2 with the resolver's code. */
async function checkHost(host: string, where: string): Promise<void> {
  if (host === "" || isIP(host) !== 0) return;
  try {
    await lookup(host);
  } catch (error) {
    const code = (error as { code?: string }).code ?? "unknown error";
    const why = code === "ENOTFOUND" ? "host not found" : "host name lookup failed";
    throw new EchodError("E_LISTEN", `cannot listen on ${where} (admin): ${why} (${code})`, 2);
  }
}

/**
 * The path of a request target as Bun hands it over: an absolute URL when
 * the Host header made one, else the raw origin-form target. Null for a
 * target with no path (CONNECT's authority-form, `host:port`). The path is
 * then resolved under a fixed host, so dot segments, `%2e` and backslashes
 * come out as Bun resolves them when the Host header is good: a request
 * routes the same with any Host header or none.
 */
export function pathOf(url: string): string | null {
  let target = url;
  if (url.charCodeAt(0) !== 47 /* / */) {
    const scheme = url.indexOf("://");
    if (scheme < 0) return null;
    const start = url.indexOf("/", scheme + 3);
    target = start < 0 ? "/" : url.slice(start);
  }
  try {
    return new URL(`http://h${target}`).pathname;
  } catch {
    // Cannot happen for a target that starts with "/" under a valid host; route it as not found.
    return target;
  }
}

/** Logs a 500, at most a line a second (log-limit.ts): a burst ends with one line counting it. */
function rateLimited(log: Logger | undefined): (error: unknown, request?: Request) => void {
  if (log === undefined) return () => {};
  const line = createLimitedWarning(log, "admin request failed (500)", "failed", {
    level: "error",
  });
  return (error, request) => {
    const err = error instanceof Error ? error.message : String(error);
    line(request ? { err, method: request.method, url: request.url } : { err });
  };
}

async function route(
  request: Request,
  options: AdminOptions,
  server: Server<undefined>,
  identity: Identity,
): Promise<Response> {
  const method = request.method;
  const path = pathOf(request.url);
  if (method === "CONNECT") return notAllowed();
  if (path === null) return new Response("bad request target\n", { status: 400, headers: TEXT });
  if (options.control) {
    const peer = server.requestIP(request);
    const who = peer === null ? "unknown" : formatAddress(peer.address, peer.port);
    const control = options.control.handle(request, path, who);
    if (control) return control;
  }
  // OPTIONS / is HAProxy's default health check (`option httpchk`): it answers like a known path.
  if (method === "OPTIONS" && (path === "/" || ROUTES.has(path))) {
    return new Response(null, { status: 204, headers: { allow: ALLOW } });
  }
  if (!ROUTES.has(path)) return new Response("not found\n", { status: 404, headers: TEXT });
  if (method !== "GET" && method !== "HEAD") return notAllowed();
  if (path === "/livez") {
    const live = options.live?.() ?? true;
    return live === true
      ? new Response("ok\n", { headers: TEXT })
      : new Response(`not live: ${live}\n`, { status: 503, headers: TEXT });
  }
  if (path === "/whoami") return whoamiResponse(request, server, identity, options.host);
  if (path === "/readyz") {
    return options.ready()
      ? new Response("ready\n", { headers: TEXT })
      : new Response("not ready\n", { status: 503, headers: TEXT });
  }
  const started = performance.now();
  await options.refresh?.();
  const registry = registryFor(options.metrics, request.headers.get("accept"));
  const body = await registry.metrics();
  options.metrics.recordScrape((performance.now() - started) / 1000);
  return new Response(body, { headers: { "content-type": registry.contentType } });
}

function notAllowed(): Response {
  return new Response("method not allowed\n", { status: 405, headers: { ...TEXT, allow: ALLOW } });
}
