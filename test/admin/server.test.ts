/**
 * The admin server in-process: what a failing route answers and logs, and
 * how the path is read from the request target Bun hands over. A 500 must
 * never pass silently, and a client that can cause them must not be able to
 * flood the log: one line a second, the rest counted.
 */
import { afterEach, describe, expect, test } from "bun:test";
import pino from "pino";
import { type AdminServer, pathOf, startAdminServer } from "../../src/admin/server.ts";
import type { MetricsRegistries } from "../../src/metrics/registry.ts";

const servers: AdminServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.stop();
});

/** Metrics whose rendering always fails, as a broken collector would. */
const broken = {
  prometheus: {
    metrics: () => Promise.reject(new Error("render failed")),
    contentType: "text/plain",
  },
  openMetrics: {
    metrics: () => Promise.reject(new Error("render failed")),
    contentType: "text/plain",
  },
  recordScrape() {},
} as unknown as MetricsRegistries;

async function startBroken(): Promise<{ port: number; lines: Record<string, unknown>[] }> {
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: "info" }, { write: (s: string) => lines.push(JSON.parse(s)) });
  const server = await startAdminServer({
    host: "127.0.0.1",
    port: 0,
    metrics: broken,
    ready: () => true,
    log,
  });
  servers.push(server);
  return { port: server.port, lines };
}

const failures = (lines: Record<string, unknown>[]) =>
  lines.filter((l) => l.msg === "admin request failed (500)");

describe("a route that throws", () => {
  test("answers 500 in plain text and logs the error with the request", async () => {
    const { port, lines } = await startBroken();
    const response = await fetch(`http://127.0.0.1:${port}/metrics`);
    const body = await response.text();
    const logged = failures(lines);
    console.log(
      `broken /metrics: ${response.status} ${JSON.stringify(body)}; log ${JSON.stringify(logged[0])}`,
    );
    expect(response.status).toBe(500);
    expect(body).toBe("internal error\n");
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ level: 50, err: "render failed", method: "GET" });
    expect(String(logged[0]?.url)).toEndWith("/metrics");
    // The other routes do not depend on the metrics and still answer.
    expect((await fetch(`http://127.0.0.1:${port}/livez`)).status).toBe(200);
  });

  test("20 failures in a burst make one line at once and one a second later counting the other 19", async () => {
    const { port, lines } = await startBroken();
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) {
      const response = await fetch(`http://127.0.0.1:${port}/metrics`);
      await response.arrayBuffer();
      statuses.push(response.status);
    }
    const burst = failures(lines).length;
    await Bun.sleep(1200);
    const logged = failures(lines);
    const gap = Number(logged[1]?.time) - Number(logged[0]?.time);
    console.log(
      `burst of 20 500s: ${burst} line(s) during the burst, ${logged.length} after 1.2 s, ` +
        `second line failed=${String(logged[1]?.failed)}, ${gap} ms apart`,
    );
    expect(statuses).toEqual(new Array(20).fill(500));
    expect(burst).toBe(1);
    expect(logged).toHaveLength(2);
    expect(logged[0]?.failed).toBe(1);
    expect(logged[1]?.failed).toBe(19);
    expect(logged[1]).toMatchObject({ level: 50, err: "render failed", method: "GET" });
    expect(gap).toBeGreaterThanOrEqual(999);
  });
});

describe("pathOf", () => {
  test("reads the path from absolute URLs and raw origin-form targets; null for authority form", () => {
    const cases: [string, string | null][] = [
      ["http://127.0.0.1:9090/metrics", "/metrics"],
      ["http://x/livez?verbose=1", "/livez"],
      ["http://x/livez#top", "/livez"],
      ["http://x//livez", "//livez"],
      ["http://x", "/"],
      ["http://[::1/readyz", "/readyz"],
      ["/livez", "/livez"],
      ["/readyz?x#y", "/readyz"],
      ["127.0.0.1:80", null],
      // Raw targets resolve as Bun resolves them when the Host is good.
      ["/../livez", "/livez"],
      ["/a/%2E%2E/livez", "/livez"],
      ["/./metrics", "/metrics"],
      ["/\\livez", "//livez"],
      ["/livez/.", "/livez/"],
      ["http://[::1/a/../readyz", "/readyz"],
    ];
    const got = cases.map(([url]) => pathOf(url));
    console.log(
      `pathOf: ${cases.length} targets, ${got.filter((p, i) => p === cases[i]?.[1]).length} as expected`,
    );
    expect(got).toEqual(cases.map(([, want]) => want));
  });
});
