#!/usr/bin/env bun
/**
 * The import graph of the project's own TypeScript files, and its cycles.
 * Bun's transpiler finds the imports (`scanImports`), and a pattern catches
 * the type-only ones it drops, since a type import still ties two modules
 * together for a reader. Only relative imports of files under the given
 * roots count. Run as a script it prints each cycle and exits 1 if there is
 * any: `bun test/helpers/import-graph.ts src bench` (npm run check:cycles).
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

/** Every .ts file below `roots`. */
export function tsFiles(roots: readonly string[]): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (path.endsWith(".ts")) files.push(resolve(path));
    }
  };
  for (const root of roots) walk(root);
  return files;
}

const TYPE_IMPORT = /(?:import|export)\s+(?:type\s+)?[^'";]*?from\s+["']([^"']+)["']/g;

/** File -> the files of the same set it imports. */
export function importGraph(files: readonly string[]): Map<string, string[]> {
  const known = new Set(files);
  const transpiler = new Bun.Transpiler({ loader: "ts" });
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const source = readFileSync(file, "utf8").replace(/^#!.*/, "");
    const specs = new Set(transpiler.scanImports(source).map((i) => i.path));
    for (const m of source.matchAll(TYPE_IMPORT)) specs.add(m[1] as string);
    const targets = [...specs]
      .filter((s) => s.startsWith("."))
      .map((s) => resolve(dirname(file), s))
      .filter((s) => known.has(s));
    graph.set(file, targets);
  }
  return graph;
}

/** Each cycle once, as the list of files around it (the first repeated at the end). */
export function findCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (file: string) => {
    state.set(file, "open");
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === "open") cycles.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(file, "done");
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file);
  return cycles;
}

if (import.meta.main) {
  const roots = process.argv.slice(2);
  const files = tsFiles(roots.length > 0 ? roots : ["src", "bench"]);
  const cycles = findCycles(importGraph(files));
  for (const cycle of cycles) {
    console.log(`cycle: ${cycle.map((f) => relative(process.cwd(), f)).join(" -> ")}`);
  }
  console.log(`${files.length} files, ${cycles.length} import cycles`);
  process.exit(cycles.length > 0 ? 1 : 0);
}
