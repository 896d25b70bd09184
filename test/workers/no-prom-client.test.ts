/**
 * A worker process only reads its own CPU time and RSS for the primary: it
 * must not load prom-client (the metrics library costs every worker memory
 * and startup time). This walks the module graph Bun loads from the worker's
 * entry point, static and dynamic imports alike; type-only imports are not
 * loaded, and Bun's scanner leaves them out too.
 */
import { expect, test } from "bun:test";
import { dirname, resolve } from "node:path";

const SRC = resolve(import.meta.dir, "../../src");
const transpiler = new Bun.Transpiler({ loader: "ts" });

/** Every package a module graph imports, with the chain of local modules that leads to it. */
async function packagesReached(entry: string): Promise<Map<string, string[]>> {
  const packages = new Map<string, string[]>();
  const seen = new Set<string>();
  const visit = async (file: string, chain: string[]) => {
    if (seen.has(file)) return;
    seen.add(file);
    const here = [...chain, file.slice(SRC.length + 1)];
    // A shebang line is not TypeScript: the scanner rejects it.
    const source = (await Bun.file(file).text()).replace(/^#!.*/, "");
    for (const { path } of transpiler.scanImports(source)) {
      // Local data files (package.json for the version) import nothing.
      if (path.startsWith(".")) {
        if (path.endsWith(".ts")) await visit(resolve(dirname(file), path), here);
      } else if (!packages.has(path)) packages.set(path, here);
    }
  };
  await visit(resolve(SRC, entry), []);
  return packages;
}

const loadsPromClient = (packages: Map<string, string[]>) =>
  [...packages.keys()].filter((name) => name === "prom-client" || name.startsWith("prom-client/"));

test("a worker process never imports prom-client", async () => {
  const packages = await packagesReached("workers/worker.ts");
  const offending = loadsPromClient(packages).map(
    (name) => `${name} via ${packages.get(name)?.join(" -> ")}`,
  );
  expect(offending).toEqual([]);
  // The walk does reach the listeners and the resource probes.
  expect(packages.has("pino")).toBe(true);
});

test("the walk finds prom-client where it is used: from main.ts, through the metrics", async () => {
  const packages = await packagesReached("main.ts");
  expect(loadsPromClient(packages)).toContain("prom-client");
  expect(packages.get("prom-client")).toContain("metrics/registry.ts");
});

test("the resource probes a worker sends load no package at all", async () => {
  expect([...(await packagesReached("metrics/resources.ts")).keys()]).toEqual(["node:fs"]);
});
