/**
 * The admin sidecar: a Bun.serve HTTP server on its own port, in the same
 * event loop as the echo listener, serving /metrics, /livez and /readyz.
 * It does nothing but read counters, so a scrape costs well under a
 * millisecond of echo time.
 */
import type { Server } from "bun";
import { EchodError } from "../errors.ts";
import { type MetricsRegistries, registryFor } from "../metrics.ts";

export interface AdminOptions {
  readonly host: string;
  readonly port: number;
  readonly metrics: MetricsRegistries;
  /** Fetches fresh counters (from worker processes) before a scrape. */
  readonly refresh?: () => Promise<void>;
  /** True while echod accepts connections (drives /readyz). */
  readonly ready: () => boolean;
}

export interface AdminServer {
  readonly port: number;
  stop(): Promise<void>;
}

const TEXT = { "content-type": "text/plain; charset=utf-8" };
const ROUTES = new Set(["/metrics", "/livez", "/readyz"]);

export function startAdminServer(options: AdminOptions): AdminServer {
  let server: Server<undefined>;
  try {
    server = Bun.serve({
      hostname: options.host,
      // Always explicit: without a port Bun.serve takes $PORT, then 3000.
      port: options.port,
      // Never show source in error pages.
      development: false,
      fetch: (request) => route(request, options),
      error: () => new Response("internal error\n", { status: 500, headers: TEXT }),
    });
  } catch (error) {
    const code = (error as { code?: string }).code ?? "";
    const where = options.host.includes(":")
      ? `[${options.host}]:${options.port}`
      : `${options.host}:${options.port}`;
    const why =
      code === "EADDRINUSE"
        ? "address already in use"
        : code === "EACCES"
          ? "permission denied"
          : (error as Error).message;
    throw new EchodError("E_LISTEN", `cannot listen on ${where} (admin): ${why}`);
  }
  return {
    port: server.port ?? options.port,
    stop: () => server.stop(true),
  };
}

async function route(request: Request, options: AdminOptions): Promise<Response> {
  const path = new URL(request.url).pathname;
  if (!ROUTES.has(path)) return new Response("not found\n", { status: 404, headers: TEXT });
  if (request.method !== "GET" && request.method !== "HEAD") {
    return new Response("method not allowed\n", {
      status: 405,
      headers: { ...TEXT, allow: "GET, HEAD" },
    });
  }
  if (path === "/livez") return new Response("ok\n", { headers: TEXT });
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
