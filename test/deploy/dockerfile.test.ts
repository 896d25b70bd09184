/**
 * The Dockerfile's invariants, read with a real Dockerfile parser: the base
 * image is pinned to the Bun that package.json pins, the image runs as a
 * non-root user, exposes echod's default ports, stops with SIGTERM, checks its
 * health through `echod healthcheck`, and copies only what .dockerignore lets
 * through. No Docker engine is needed (or available) for these.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { validate } from "dockerfile-utils";
import { DEFAULTS } from "../../src/config.ts";
import { contextFiles } from "./build-context.ts";
import { finalStage, ROOT, readDockerfile } from "./dockerfile-spec.ts";

const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  version: string;
  license: string;
  packageManager: string;
  bin: Record<string, string>;
  engines: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const spec = readDockerfile();
const final = finalStage(spec);

describe("Dockerfile", () => {
  test("has no problems that the Docker language server's linter reports", () => {
    expect(validate(spec.text).map((d) => `${d.range.start.line + 1}: ${d.message}`)).toEqual([]);
  });

  test("every stage starts from the official Bun image at package.json's pinned Bun", () => {
    const bun = pkg.devDependencies.bun ?? "missing";
    expect(bun).toMatch(/^\d+\.\d+\.\d+$/);
    expect(pkg.packageManager).toBe(`bun@${bun}`);
    expect(pkg.engines.bun).toBe(bun);
    expect(spec.stages.length).toBeGreaterThanOrEqual(2); // multi-stage: deps, then runtime
    for (const stage of spec.stages) {
      expect(stage.image).toMatch(new RegExp(`^oven/bun:${bun.replaceAll(".", "\\.")}(-slim)?$`));
    }
  });

  test("the deps stage installs production dependencies only, from the lockfile", () => {
    const deps = spec.stages.find((s) => s.name !== null && s !== final);
    expect(deps).toBeDefined();
    const install = deps?.run.find((r) => /\bbun install\b/.test(r)) ?? "";
    expect(install).toContain("--production");
    expect(install).toContain("--frozen-lockfile");
    expect(deps?.copies.flatMap((c) => c.sources).sort()).toEqual(["bun.lock", "package.json"]);
    // The runtime stage takes node_modules from that stage and nothing from the host's.
    expect(final.copies.filter((c) => c.from === deps?.name).map((c) => c.dest)).toEqual([
      "./node_modules",
    ]);
    expect(
      final.copies.some((c) => c.sources.some((s) => s.includes("node_modules")) && !c.from),
    ).toBe(false);
  });

  test("bun.lock records package.json's dependencies, so --frozen-lockfile accepts it", () => {
    // bun.lock is JSONC (trailing commas); Bun's own JSONC parser reads it.
    const lock = Bun.JSONC.parse(readFileSync(join(ROOT, "bun.lock"), "utf8")) as {
      workspaces: Record<string, { dependencies?: object; devDependencies?: object }>;
    };
    const workspace = lock.workspaces[""];
    expect(workspace?.dependencies).toEqual(pkg.dependencies);
    expect(workspace?.devDependencies).toEqual(pkg.devDependencies);
  });

  test("runs as the Bun image's non-root user", () => {
    expect(final.user).toBe("bun");
    expect(["root", "0", "0:0"]).not.toContain(final.user);
  });

  test("exposes the echo and admin ports that echod listens on by default", () => {
    expect(final.expose.map(Number).sort()).toEqual(
      [DEFAULTS.port, DEFAULTS.metricsPort].sort((a, b) => a - b),
    );
  });

  test("stops with SIGTERM, which echod answers with a graceful drain", () => {
    expect(final.stopSignal).toBe("SIGTERM");
  });

  test("starts echod from package.json's bin in exec form, so Bun is PID 1 and gets the signal", () => {
    expect(final.entrypoint).toEqual(["bun", pkg.bin.echod ?? "missing"]);
    expect(final.cmd).toEqual([]); // reset the base image's CMD: arguments are echod's flags
    expect(final.workdir).toBe("/app");
  });

  test("checks health with `echod healthcheck`, in exec form (no shell, no curl)", () => {
    expect(final.healthcheck?.command).toEqual([...(final.entrypoint ?? []), "healthcheck"]);
    const flags = final.healthcheck?.flags ?? {};
    expect(Object.keys(flags).sort()).toEqual(["interval", "retries", "start-period", "timeout"]);
    expect(seconds(flags.timeout)).toBeLessThan(seconds(flags.interval));
  });

  test("carries OCI labels that agree with package.json and the base image", () => {
    const label = (k: string) => final.labels[`org.opencontainers.image.${k}`];
    expect(label("title")).toBe("echod");
    expect(label("version")).toBe(pkg.version);
    expect(label("licenses")).toBe(pkg.license);
    expect(label("description")).toBeTruthy();
    expect(label("base.name")).toBe(`docker.io/${final.image}`);
  });

  test("configures echod only through ECHOD_* variables it knows, and runs in production mode", () => {
    expect(final.env.NODE_ENV).toBe("production");
    // Any ECHOD_ variable baked into the image must name a real option.
    const known = new Set(
      Object.keys(DEFAULTS).map(
        (k) => `ECHOD_${k.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`,
      ),
    );
    for (const name of Object.keys(final.env).filter((n) => n.startsWith("ECHOD_"))) {
      expect(known).toContain(name);
    }
  });
});

describe(".dockerignore", () => {
  const files = contextFiles();

  test("keeps the build context to what the image needs", () => {
    const top = new Set(files.map((f) => f.split("/")[0]));
    expect([...top].sort()).toEqual(["bench", "bun.lock", "package.json", "src"]);
    // Of the bench, only the load harness (deploy/kubernetes/bench-job.yaml runs it from the image).
    expect(files.filter((f) => f.startsWith("bench/") && !f.startsWith("bench/harness/"))).toEqual(
      [],
    );
  });

  test("sends every source file the daemon runs", () => {
    const { stdout } = Bun.spawnSync(["git", "ls-files", "src"], { cwd: ROOT });
    const tracked = stdout.toString().trim().split("\n").filter(Boolean);
    expect(tracked.length).toBeGreaterThan(0);
    for (const f of tracked) expect(files).toContain(f);
  });
});

/** Docker's duration flags: 10s, 1m30s, 500ms. */
function seconds(value: string | undefined): number {
  const parts = [...(value ?? "").matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0) throw new Error(`not a Docker duration: ${JSON.stringify(value)}`);
  const unit = { ms: 0.001, s: 1, m: 60, h: 3600 } as const;
  return parts.reduce((sum, [, n, u]) => sum + Number(n) * unit[u as keyof typeof unit], 0);
}
