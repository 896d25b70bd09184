/**
 * A real Prometheus server (Debian's package) scrapes a live echod every
 * second; its query API must return the traffic the test sent.
 */
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, echoOnce, randomPayload } from "../helpers/net-client.ts";
import { startPrometheus } from "../helpers/prometheus.ts";
import { LOOPBACK_WITH_ADMIN, spawnEchod } from "../helpers/spawn-echod.ts";

const cleanup: (() => void)[] = [];
afterAll(() => {
  for (const c of cleanup.reverse()) c();
});

async function query(promPort: number, expr: string): Promise<number | null> {
  try {
    const url = `http://127.0.0.1:${promPort}/api/v1/query?query=${encodeURIComponent(expr)}`;
    const body = (await (await fetch(url)).json()) as {
      data?: { result?: { value: [number, string] }[] };
    };
    const value = body.data?.result?.[0]?.value[1];
    return value === undefined ? null : Number(value);
  } catch {
    return null; // not up yet
  }
}

async function eventually(promPort: number, expr: string, expected: number, ms = 30_000) {
  const until = performance.now() + ms;
  let last: number | null = null;
  while (performance.now() < until) {
    last = await query(promPort, expr);
    if (last === expected) return last;
    await Bun.sleep(250);
  }
  return last;
}

test("a real prometheus scrape returns the byte counters and the active connections", async () => {
  const echod = await spawnEchod([...LOOPBACK_WITH_ADMIN]);
  cleanup.push(() => echod.proc.kill("SIGKILL"));

  const dir = mkdtempSync(join(tmpdir(), "echod-prom-"));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(
    join(dir, "prometheus.yml"),
    [
      "global:",
      "  scrape_interval: 1s",
      "scrape_configs:",
      "  - job_name: echod",
      "    static_configs:",
      `      - targets: ["127.0.0.1:${echod.metricsPort}"]`,
      "",
    ].join("\n"),
  );
  const { port: promPort, proc: prometheus } = startPrometheus(dir);
  cleanup.push(() => prometheus.kill("SIGKILL"));

  const held = [await connect(echod.port), await connect(echod.port)];
  const sizes = [12_345, 700_001, 3];
  for (const size of sizes) await echoOnce(echod.port, randomPayload(size));
  const total = sizes.reduce((a, b) => a + b, 0);

  expect(await eventually(promPort, 'up{job="echod"}', 1)).toBe(1);
  expect(await eventually(promPort, "echod_received_bytes_total", total)).toBe(total);
  expect(await eventually(promPort, "echod_sent_bytes_total", total)).toBe(total);
  expect(await eventually(promPort, "echod_connections_active", 2)).toBe(2);
  expect(
    await eventually(promPort, 'echod_connections_closed_total{reason="peer_closed"}', 3),
  ).toBe(3);

  for (const socket of held) socket.destroy();
  expect(await eventually(promPort, "echod_connections_active", 0)).toBe(0);
}, 90_000);
