/**
 * --metrics-url: the harness scrapes a Prometheus endpoint before, during
 * and after the run and reports the server's CPU seconds, peak RSS,
 * backpressure pauses and rejected connections. Checked against a fake
 * /metrics (Bun.serve) whose counters move by known steps on every scrape.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { parsePrometheus } from "../../../bench/harness/server-metrics.ts";
import { resolveConfig } from "../../../src/config.ts";
import { type EchoServer, startEchoServer } from "../../../src/echo/server.ts";
import { LOOPBACK_WITH_ADMIN, spawnEchod } from "../../helpers/spawn-echod.ts";
import { jsonLine, runBenchJson } from "../helpers.ts";

let echod: EchoServer;

beforeAll(() => {
  echod = startEchoServer(resolveConfig({ port: 0, host: "127.0.0.1", metrics: false }));
});

afterAll(async () => {
  await echod.stop(1);
});

describe("parsing the exposition format", () => {
  test("sums a counter over its label sets and skips comments", () => {
    const m = parsePrometheus(
      [
        "# HELP echod_connections_rejected_total Rejected.",
        "# TYPE echod_connections_rejected_total counter",
        'echod_connections_rejected_total{reason="limit"} 3',
        'echod_connections_rejected_total{reason="draining"} 4',
        "process_cpu_seconds_total 1.25",
        "process_resident_memory_bytes 1.5e+08",
      ].join("\n"),
    );
    expect(m.get("echod_connections_rejected_total")).toBe(7);
    expect(m.get("process_cpu_seconds_total")).toBe(1.25);
    expect(m.get("process_resident_memory_bytes")).toBe(150_000_000);
  });
});

/** A stand-in /metrics on loopback that answers with `answer`. */
function serveMetrics(answer: () => Response) {
  return Bun.serve({ port: 0, hostname: "127.0.0.1", development: false, fetch: answer });
}

function metricsUrl(port: number | null | undefined): string {
  return `http://127.0.0.1:${port}/metrics`;
}

describe("the server's side of a run", () => {
  test("deltas of the counters between the first and last scrape, and the peak of RSS", async () => {
    let scrapes = 0;
    const metrics = serveMetrics(() => {
      const n = scrapes++;
      // RSS peaks on the second scrape, during the run.
      const rss = n === 1 ? 300_000_000 : 100_000_000 + n;
      return new Response(
        [
          // The daemon-wide figures win over the supervisor's own process_* ones.
          `echod_cpu_seconds_total ${10 + n * 0.5}`,
          `process_cpu_seconds_total ${1 + n * 0.1}`,
          `echod_resident_memory_bytes ${rss}`,
          `process_resident_memory_bytes ${rss / 10}`,
          `echod_backpressure_pauses_total ${n * 2}`,
          `echod_connections_rejected_total{reason="limit"} ${n}`,
          `echod_connections_rejected_total{reason="draining"} ${n * 3}`,
        ].join("\n"),
      );
    });
    try {
      const run = await runBenchJson(
        echod.port,
        `-c 2 -d 1.2 --metrics-url ${metricsUrl(metrics.port)}`,
      );
      expect(run.code).toBe(0);
      const server = jsonLine(run).server;
      const last = scrapes - 1;
      expect(scrapes).toBeGreaterThanOrEqual(3);
      expect(server).toEqual({
        cpuSeconds: last * 0.5,
        peakRssBytes: 300_000_000,
        backpressurePauses: last * 2,
        rejectedConnections: last * 4,
        scrapes,
      });
      expect(run.stderr).toContain("Backpressure pauses");
    } finally {
      metrics.stop(true);
    }
  });

  test("metrics the target does not expose read as null, not zero", async () => {
    const metrics = serveMetrics(() => new Response("process_cpu_seconds_total 1\n"));
    try {
      const run = await runBenchJson(
        echod.port,
        `-c 1 -d 0.3 --metrics-url ${metricsUrl(metrics.port)}`,
      );
      expect(run.code).toBe(0);
      expect(jsonLine(run).server).toMatchObject({
        cpuSeconds: 0,
        peakRssBytes: null,
        backpressurePauses: null,
        rejectedConnections: null,
      });
    } finally {
      metrics.stop(true);
    }
  });

  test("against a real echod: its CPU, RSS and rejections at the connection limit", async () => {
    const echodProc = await spawnEchod([...LOOPBACK_WITH_ADMIN, "--max-connections", "2"]);
    try {
      const url = metricsUrl(echodProc.metricsPort);
      const run = await runBenchJson(echodProc.port, `-c 4 -p 8 -d 1 --metrics-url ${url}`);
      const r = jsonLine(run);
      const server = r.server as NonNullable<typeof r.server>;
      // Two connections echo; the other two are turned away at the limit, again and again.
      expect(r.messages.total).toBeGreaterThan(0);
      expect(r.mismatches).toBe(0);
      expect(server.rejectedConnections).toBeGreaterThan(0);
      const turnedAway = r.errors.short + r.errors.closed + r.errors.reset;
      expect(turnedAway).toBeGreaterThan(0);
      expect(turnedAway).toBeLessThanOrEqual(server.rejectedConnections as number);
      expect(run.code).toBe(1);
      expect(server.cpuSeconds).toBeGreaterThan(0);
      expect(server.peakRssBytes).toBeGreaterThan(10 * 1024 * 1024);
      expect(typeof server.backpressurePauses).toBe("number");
    } finally {
      echodProc.kill("SIGKILL");
    }
  });
});
