/**
 * deploy/kubernetes/, checked offline: every object against the Kubernetes
 * API schemas (kubernetes-models, the Prometheus Operator CRDs), unknown
 * fields through the models' TypeScript types, and the numbers that must
 * agree between the objects and with echod itself: probe paths and ports
 * answered by a live echod started with the Deployment's environment, the
 * grace period against the shutdown delay and timeout, and the memory limit
 * against the connection and buffer limits.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { resolveConfig } from "../../src/config.ts";
import { resolveMemoryBudget } from "../../src/echo/memory-limit.ts";
import { DOWNWARD_API_VARS } from "../../src/identity/identity.ts";
import { AUTO_MEMORY_SHARE } from "../../src/options.ts";
import { type Echod, LOOPBACK_WITH_ADMIN, spawnEchod } from "../helpers/spawn-echod.ts";
import { finalStage, ROOT, readDockerfile } from "./dockerfile-spec.ts";
import {
  kindKey,
  loadKustomization,
  loadManifests,
  type Manifest,
  manifestFiles,
  quantity,
  STANDALONE_MANIFESTS,
  schemaErrors,
  TYPES,
} from "./manifests.ts";
import { typecheck } from "./typecheck.ts";

// biome-ignore lint/suspicious/noExplicitAny: manifests are untyped YAML, checked by the schemas above
type Any = any;

const manifests = loadManifests();
const one = (kind: string): Any => {
  const found = manifests.filter((m) => m.object.kind === kind);
  if (found.length !== 1) throw new Error(`expected one ${kind}, found ${found.length}`);
  return found[0]?.object;
};
const deployment = one("Deployment");
const service = one("Service");
const pod = deployment.spec.template;
const container = pod.spec.containers[0];
// The plain values; the Downward API ones (valueFrom) are checked on their own.
const env: Record<string, string> = Object.fromEntries(
  container.env
    .filter((e: { value?: string }) => e.value !== undefined)
    .map((e: { name: string; value: string }) => [e.name, e.value]),
);
const config = resolveConfig(
  Object.fromEntries(
    Object.entries({
      port: env.ECHOD_PORT,
      metricsPort: env.ECHOD_METRICS_PORT,
      maxConnections: env.ECHOD_MAX_CONNECTIONS,
      maxBuffer: env.ECHOD_MAX_BUFFER,
      shutdownDelay: env.ECHOD_SHUTDOWN_DELAY,
      shutdownTimeout: env.ECHOD_SHUTDOWN_TIMEOUT,
      workers: env.ECHOD_WORKERS,
      maxMemory: env.ECHOD_MAX_MEMORY,
    }).filter(([, v]) => v !== undefined),
  ),
);
const containerPort = (nameOrNumber: string | number): number | undefined =>
  typeof nameOrNumber === "number"
    ? nameOrNumber
    : container.ports.find((p: Any) => p.name === nameOrNumber)?.containerPort;
const matches = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);

describe("deploy/kubernetes: schemas", () => {
  test("kustomization.yaml lists every manifest file but the standalone ones, and only those", () => {
    expect([...loadKustomization().resources].sort()).toEqual(
      manifestFiles().filter((f) => !STANDALONE_MANIFESTS.includes(f)),
    );
  });

  test.each(manifests.map((m) => [`${m.file}: ${m.object.kind}`, m] as [string, Manifest]))(
    "%s is valid against its API schema",
    (_name, manifest) => {
      expect(schemaErrors(manifest.object)).toBeNull();
    },
  );

  test("no manifest has a field the API does not define (tsc excess-property check)", () => {
    // The JSON schemas allow unknown fields (the API server drops or rejects them);
    // the models' TypeScript interfaces do not, for object literals.
    const result = typecheck(
      manifests.map((m) => {
        const type = TYPES[kindKey(m.object)];
        if (!type) throw new Error(`no type for ${kindKey(m.object)}`);
        return { module: type.module, type: type.name, value: m.object };
      }),
    );
    expect(result.output).toBe("");
    expect(result.code).toBe(0);
  });
});

describe("deploy/kubernetes: the objects agree with each other and with echod", () => {
  test("the Deployment runs the image of package.json's version, named as in kustomization.yaml", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
    const [name, tag] = String(container.image).split(":");
    expect(tag).toBe(pkg.version);
    expect(loadKustomization().images).toEqual([{ name: name ?? "", newTag: pkg.version }]);
  });

  test("container ports are echod's ports as its environment sets them", () => {
    expect(containerPort("echo")).toBe(config.port);
    expect(containerPort("admin")).toBe(config.metricsPort);
  });

  test("liveness asks /livez and readiness /readyz, on the admin port", () => {
    expect(container.livenessProbe.httpGet.path).toBe("/livez");
    expect(container.readinessProbe.httpGet.path).toBe("/readyz");
    expect(containerPort(container.livenessProbe.httpGet.port)).toBe(config.metricsPort);
    expect(containerPort(container.readinessProbe.httpGet.port)).toBe(config.metricsPort);
  });

  test("terminationGracePeriodSeconds outlasts the shutdown delay plus the drain timeout", () => {
    expect(config.shutdownDelay).toBeGreaterThan(0);
    expect(pod.spec.terminationGracePeriodSeconds).toBeGreaterThan(
      config.shutdownDelay + config.shutdownTimeout,
    );
  });

  test("readiness notices the 503 of a terminating pod within the shutdown delay", () => {
    const probe = container.readinessProbe;
    expect(probe.periodSeconds * probe.failureThreshold).toBeLessThanOrEqual(config.shutdownDelay);
  });

  test("runs as the image's non-root user, read-only, with no capabilities", () => {
    expect(finalStage(readDockerfile()).user).toBe("bun"); // uid 1000 in the Bun images
    expect(pod.spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
    expect(container.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
    });
  });

  test("requests and limits CPU and memory, and the memory limit covers the configured worst case", async () => {
    const { requests, limits } = container.resources;
    for (const r of ["cpu", "memory"]) {
      expect(quantity(requests[r])).toBeGreaterThan(0);
      expect(quantity(limits[r])).toBeGreaterThanOrEqual(quantity(requests[r]));
    }
    // Every connection at its high-water mark plus one read of at most 512 KiB (BUN-NOTES),
    // over the RSS of an idle echod measured now.
    const worst = config.maxConnections * (config.maxBuffer + 512 * 1024);
    expect(quantity(limits.memory)).toBeGreaterThan(worst + idleRss);
  });

  test("the memory budget (--max-memory auto: a share of the limit) and its allowances fit in the memory limit", () => {
    const limit = quantity(container.resources.limits.memory);
    const budget = resolveMemoryBudget(config.maxMemory, () => limit);
    expect(config.maxMemory).toBe("auto");
    expect(budget).toBe(Math.floor(limit * AUTO_MEMORY_SHARE));
    // SECURITY.md: read buffers awaiting collection, and per connection socket state and blocks.
    const allowances = 64 * 2 ** 20 + config.maxConnections * 48 * 1024;
    console.log(
      `memory limit ${limit / 2 ** 20} MiB: budget ${budget / 2 ** 20} MiB + allowances ${(allowances / 2 ** 20).toFixed(0)} MiB + idle RSS ${(idleRss / 2 ** 20).toFixed(0)} MiB`,
    );
    expect(budget + allowances + idleRss).toBeLessThan(limit);
  });

  test("POD_NAME, POD_NAMESPACE and NODE_NAME come from the Downward API, as --banner reads them", () => {
    const fieldOf = (name: string) =>
      container.env.find((e: Any) => e.name === name)?.valueFrom?.fieldRef?.fieldPath;
    expect(fieldOf(DOWNWARD_API_VARS.pod)).toBe("metadata.name");
    expect(fieldOf(DOWNWARD_API_VARS.namespace)).toBe("metadata.namespace");
    expect(fieldOf(DOWNWARD_API_VARS.node)).toBe("spec.nodeName");
  });

  test("runs no more worker processes than the CPU limit has cores", () => {
    const cores = Math.max(1, Math.ceil(quantity(container.resources.limits.cpu)));
    expect(config.workers).toBeLessThanOrEqual(cores);
  });

  test("the Service selects the pods and targets the named container ports", () => {
    expect(matches(service.spec.selector, pod.metadata.labels)).toBe(true);
    const byName = Object.fromEntries(service.spec.ports.map((p: Any) => [p.name, p]));
    expect(containerPort(byName.echo.targetPort)).toBe(config.port);
    expect(containerPort(byName.admin.targetPort)).toBe(config.metricsPort);
  });

  test("the ServiceMonitor scrapes /metrics on the Service's admin port", () => {
    const monitor = one("ServiceMonitor");
    expect(matches(monitor.spec.selector.matchLabels, service.metadata.labels)).toBe(true);
    const [endpoint] = monitor.spec.endpoints;
    expect(endpoint.path).toBe("/metrics");
    const port = service.spec.ports.find((p: Any) => p.name === endpoint.port);
    expect(containerPort(port.targetPort)).toBe(config.metricsPort);
  });

  test("the prometheus.io annotations point plain Prometheus at the admin port's /metrics", () => {
    const a = pod.metadata.annotations;
    expect(a["prometheus.io/scrape"]).toBe("true");
    expect(Number(a["prometheus.io/port"])).toBe(config.metricsPort);
    expect(a["prometheus.io/path"]).toBe("/metrics");
  });

  test("the PDB and the HPA govern these pods and always leave one serving", () => {
    const pdb = one("PodDisruptionBudget");
    const hpa = one("HorizontalPodAutoscaler");
    expect(matches(pdb.spec.selector.matchLabels, pod.metadata.labels)).toBe(true);
    expect(matches(deployment.spec.selector.matchLabels, pod.metadata.labels)).toBe(true);
    expect(hpa.spec.scaleTargetRef).toEqual({
      apiVersion: "apps/v1",
      kind: "Deployment",
      name: deployment.metadata.name,
    });
    expect(hpa.spec.minReplicas).toBeGreaterThan(pdb.spec.maxUnavailable);
    expect(hpa.spec.maxReplicas).toBeGreaterThan(hpa.spec.minReplicas);
    // CPU utilization is measured against the request, so there must be one.
    expect(hpa.spec.metrics[0].resource.name).toBe("cpu");
    expect(deployment.spec.replicas).toBeUndefined(); // the HPA owns the count
  });

  test("the PrometheusRule carries exactly deploy/prometheus/rules.yml's groups", () => {
    const rules = parse(readFileSync(join(ROOT, "deploy/prometheus/rules.yml"), "utf8"));
    expect(one("PrometheusRule").spec).toEqual(rules);
  });
});

// A live echod with the Deployment's environment (ports moved to free ones, loopback only).
let echod: Echod;
let idleRss = Number.POSITIVE_INFINITY;

beforeAll(async () => {
  echod = await spawnEchod(LOOPBACK_WITH_ADMIN, {
    env,
  });
  const text = await (await fetch(`http://127.0.0.1:${echod.metricsPort}/metrics`)).text();
  // All of the daemon's processes (the primary and any --workers), not the primary alone.
  idleRss = Number(/^echod_resident_memory_bytes (\S+)$/m.exec(text)?.[1]);
});

afterAll(() => echod?.proc.kill("SIGKILL"));

describe("deploy/kubernetes: a live echod with the Deployment's environment", () => {
  const url = (path: string) => `http://127.0.0.1:${echod.metricsPort}${path}`;

  test("answers the probes and the scrape path that the manifests name", async () => {
    expect(idleRss).toBeGreaterThan(0);
    expect((await fetch(url(container.livenessProbe.httpGet.path))).status).toBe(200);
    expect((await fetch(url(container.readinessProbe.httpGet.path))).status).toBe(200);
    const scrape = await fetch(url(pod.metadata.annotations["prometheus.io/path"]));
    expect(scrape.status).toBe(200);
    expect(await scrape.text()).toContain("echod_build_info");
  });

  test("on the kubelet's SIGTERM: not ready at once, live through the delay, gone within the grace period", async () => {
    const started = performance.now();
    echod.kill("SIGTERM");
    const readyz = url(container.readinessProbe.httpGet.path);
    let notReady = false;
    while (performance.now() - started < 1000 && !notReady) {
      notReady = (await fetch(readyz)).status === 503;
      if (!notReady) await Bun.sleep(20);
    }
    expect(notReady).toBe(true);
    expect((await fetch(url(container.livenessProbe.httpGet.path))).status).toBe(200);
    const code = await echod.exited;
    const seconds = (performance.now() - started) / 1000;
    expect(code).toBe(0);
    expect(seconds).toBeGreaterThanOrEqual(config.shutdownDelay - 0.1);
    expect(seconds).toBeLessThan(pod.spec.terminationGracePeriodSeconds);
  }, 60_000);
});
