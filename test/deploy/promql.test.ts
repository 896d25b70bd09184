/**
 * The dashboard and the alerting rules against a live echod: every PromQL
 * expression parses, names only series that echod's /metrics exposes (or
 * that Prometheus itself makes, like `up`), and filters or groups only by
 * labels those series carry, with label values they take. Then a real
 * Prometheus, configured from deploy/compose's prometheus.yml with the rules
 * loaded, scrapes that echod, and every dashboard query returns data and
 * every rule evaluates without error. The dashboard's harness row is
 * checked the same way against an echod-bench run with --metrics-port
 * (scraped as job echod-bench) loading that echod.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parse, stringify } from "yaml";
import { freePort, waitForPort } from "../../bench/common/ports.ts";
import { BENCH } from "../bench/helpers.ts";
import { echoOnce, randomPayload } from "../helpers/net-client.ts";
import { startPrometheus } from "../helpers/prometheus.ts";
import { type Echod, LOOPBACK_WITH_ADMIN, spawnEchod } from "../helpers/spawn-echod.ts";
import {
  analyse,
  dashboardQueries,
  type Query,
  RULES,
  ruleQueries,
  seriesLabels,
} from "./promql.ts";

const COMPOSE_PROMETHEUS = resolve(
  import.meta.dir,
  "../../deploy/compose/prometheus/prometheus.yml",
);
/** Labels the scrape adds to every series. */
const TARGET_LABELS = ["job", "instance"];
/** Series Prometheus makes for each target; the rules may use them, the dashboard does not. */
const PROMETHEUS_SERIES = new Set(["up"]);

const dashboard = dashboardQueries();
const rules = ruleQueries();
let echod: Echod;
/** echod-bench's --metrics-port, loading echod for the whole file. */
let benchPort = 0;
let series: Map<string, Map<string, Set<string>>>;
const cleanup: (() => void)[] = [];

beforeAll(async () => {
  echod = await spawnEchod([...LOOPBACK_WITH_ADMIN]);
  cleanup.push(() => echod.proc.kill("SIGKILL"));
  // Traffic first, so that every counter and the histogram have moved.
  await echoOnce(echod.port, randomPayload(100_000));
  series = seriesLabels(
    await (await fetch(`http://127.0.0.1:${echod.metricsPort}/metrics`)).text(),
  );
  benchPort = freePort();
  const bench = Bun.spawn(
    [process.execPath, BENCH, `127.0.0.1:${echod.port}`, "-c", "2", "-R", "200", "-d", "85"].concat(
      ["--metrics-port", String(benchPort)],
    ),
    { stdout: "ignore", stderr: "ignore" },
  );
  cleanup.push(() => bench.kill("SIGKILL"));
  await waitForPort(benchPort, 10_000);
  // After its first measured second every harness series is there.
  await Bun.sleep(1500);
  const harness = seriesLabels(await (await fetch(`http://127.0.0.1:${benchPort}/metrics`)).text());
  for (const [name, labels] of harness) series.set(name, labels);
}, 30_000);

afterAll(() => {
  for (const c of cleanup.reverse()) c();
});

function checkQuery(query: Query, allowed: Set<string>): string[] {
  const problems: string[] = [];
  const { errors, selectors, grouping } = analyse(query.expr);
  problems.push(...errors.map((e) => `${query.where}: ${e}`));
  if (selectors.length === 0) problems.push(`${query.where}: selects no metric`);
  const known = new Set(TARGET_LABELS);
  for (const { metric, matchers } of selectors) {
    const labels = series.get(metric);
    if (!labels && !allowed.has(metric)) {
      problems.push(`${query.where}: ${metric} is not exported by echod`);
      continue;
    }
    for (const name of labels?.keys() ?? []) known.add(name);
    for (const m of matchers) {
      if (TARGET_LABELS.includes(m.label)) continue;
      const values = labels?.get(m.label);
      if (!values) problems.push(`${query.where}: ${metric} has no label ${m.label}`);
      else if (m.op === "=" && !values.has(m.value)) {
        problems.push(`${query.where}: ${metric}{${m.label}} never takes the value ${m.value}`);
      }
    }
  }
  for (const label of [...grouping, ...(query.listsLabel ? [query.listsLabel] : [])]) {
    if (!known.has(label))
      problems.push(`${query.where}: no selected series has the label ${label}`);
  }
  return problems;
}

describe("every PromQL expression names only what a live echod exports", () => {
  test("the scrape has the families the dashboard is built on", () => {
    for (const name of [
      "echod_connections_active",
      "echod_connection_duration_seconds_bucket",
      "process_cpu_seconds_total",
    ]) {
      expect(series.has(name)).toBe(true);
    }
  });

  test("the Grafana dashboard's panels and variables", () => {
    expect(dashboard.length).toBeGreaterThan(10);
    expect(dashboard.flatMap((q) => checkQuery(q, new Set()))).toEqual([]);
  });

  test("the alerting rules", () => {
    expect(rules.length).toBeGreaterThan(5);
    expect(rules.flatMap((q) => checkQuery(q, PROMETHEUS_SERIES))).toEqual([]);
  });

  test("the check itself rejects an unknown metric, label, label value and bad syntax", () => {
    const bad = [
      "rate(echod_bytes_total[1m])",
      'echod_connections_active{reason="x"}',
      'echod_connections_closed_total{reason="timeout"}',
      "sum by (pod) (echod_connections_active)",
      "sum(rate(echod_sent_bytes_total[1m]) /",
    ];
    for (const expr of bad) expect(checkQuery({ where: "t", expr }, new Set())).not.toEqual([]);
  });

  test("the dashboard covers connections, throughput both ways, buffering, backpressure, rejections, close reasons, CPU, memory and workers", () => {
    const used = new Set(dashboard.flatMap((q) => analyse(q.expr).selectors.map((s) => s.metric)));
    for (const name of [
      "echod_connections_active",
      "echod_received_bytes_total",
      "echod_sent_bytes_total",
      "echod_buffered_bytes",
      "echod_backpressure_pauses_total",
      "echod_connections_rejected_total",
      "echod_connections_closed_total",
      "echod_cpu_seconds_total",
      "echod_resident_memory_bytes",
      "echod_workers",
      "echod_worker_restarts_total",
    ]) {
      expect(used).toContain(name);
    }
  });
});

interface ApiAnswer<T> {
  status: string;
  error?: string;
  data: T;
}

async function api<T>(port: number, path: string): Promise<ApiAnswer<T> | null> {
  try {
    return (await (await fetch(`http://127.0.0.1:${port}${path}`)).json()) as ApiAnswer<T>;
  } catch {
    return null; // not up yet
  }
}

describe("a real Prometheus with deploy/compose's configuration and the rules", () => {
  test("scrapes echod; every dashboard query returns data and every rule evaluates cleanly", async () => {
    // The compose config with the container paths and names mapped to this machine:
    // rules.yml beside it (as the compose volume mounts it), the echod target on
    // loopback, a 1 s scrape so that rate() has two samples within seconds.
    const dir = mkdtempSync(join(tmpdir(), "echod-compose-prom-"));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const config = parse(readFileSync(COMPOSE_PROMETHEUS, "utf8"));
    config.global.scrape_interval = "1s";
    config.global.evaluation_interval = "1s";
    const job = config.scrape_configs.find((j: { job_name: string }) => j.job_name === "echod");
    job.static_configs = [{ targets: [`127.0.0.1:${echod.metricsPort}`] }];
    const harness = {
      job_name: "echod-bench",
      static_configs: [{ targets: [`127.0.0.1:${benchPort}`] }],
    };
    config.scrape_configs = [job, harness];
    writeFileSync(join(dir, "prometheus.yml"), stringify(config));
    copyFileSync(RULES, join(dir, "rules.yml"));

    const { port, proc: prometheus } = startPrometheus(dir);
    cleanup.push(() => prometheus.kill("SIGKILL"));

    // Wait for three scrapes of the target, then traffic between scrapes so that rates move.
    const until = performance.now() + 45_000;
    const samples = async () =>
      Number(
        (
          await api<{ result: { value: [number, string] }[] }>(
            port,
            `/api/v1/query?query=${encodeURIComponent('count_over_time(up{job="echod"}[1m])')}`,
          )
        )?.data?.result?.[0]?.value[1] ?? 0,
      );
    while (performance.now() < until && (await samples()) < 3) await Bun.sleep(250);
    expect(await samples()).toBeGreaterThanOrEqual(3);
    await echoOnce(echod.port, randomPayload(200_000));
    await Bun.sleep(2500);

    const empty: string[] = [];
    for (const q of dashboard.filter((d) => !d.listsLabel)) {
      const answer = await api<{ result: unknown[] }>(
        port,
        `/api/v1/query?query=${encodeURIComponent(q.expr)}`,
      );
      expect(answer?.error ?? answer?.status).toBe("success");
      if ((answer?.data.result.length ?? 0) === 0) empty.push(q.where);
    }
    expect(empty).toEqual([]);

    const loaded = await api<{
      groups: { rules: { name: string; health: string; lastError?: string }[] }[];
    }>(port, "/api/v1/rules");
    const ruleStates = loaded?.data.groups.flatMap((g) => g.rules) ?? [];
    expect(ruleStates.map((r) => r.name).sort()).toEqual(
      rules.map((r) => r.where.replace(/^rule /, "")).sort(),
    );
    // Wait for one evaluation of each rule, then every one must be healthy and none firing.
    const healthy = async () => {
      const now = await api<{
        groups: { rules: { health: string; lastError?: string; state?: string }[] }[];
      }>(port, "/api/v1/rules");
      return now?.data.groups.flatMap((g) => g.rules) ?? [];
    };
    let states = await healthy();
    while (performance.now() < until && states.some((r) => r.health === "unknown")) {
      await Bun.sleep(250);
      states = await healthy();
    }
    expect(states.map((r) => r.lastError ?? r.health)).toEqual(states.map(() => "ok"));
    expect(states.filter((r) => r.state === "firing")).toEqual([]);
  }, 90_000);
});
