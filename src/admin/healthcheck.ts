/**
 * `echod healthcheck`: asks a running echod's /livez on the configured admin
 * port and exits 0 if it answers 200, 1 otherwise. The container images of
 * Bun have no curl, so the HEALTHCHECK runs this with the same environment as
 * the daemon itself.
 */
import { formatHost } from "../address.ts";
import type { Config } from "../config.ts";

const TIMEOUT_MS = 2000;

export async function runHealthcheck(config: Config): Promise<number> {
  if (!config.metrics) {
    process.stderr.write("echod healthcheck: the admin server is off (--no-metrics)\n");
    return 1;
  }
  const url = `http://${localHost(config.metricsHost)}:${config.metricsPort}/livez`;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    if (response.status === 200) return 0;
    process.stderr.write(`echod healthcheck: ${url} answered ${response.status}\n`);
  } catch (error) {
    process.stderr.write(`echod healthcheck: ${url}: ${(error as Error).message}\n`);
  }
  return 1;
}

/** A wildcard bind address is reached through loopback. */
function localHost(host: string): string {
  if (host === "0.0.0.0" || host === "") return "127.0.0.1";
  if (host === "::") return "[::1]";
  return formatHost(host);
}
