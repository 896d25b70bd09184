/**
 * The layout's rules, checked with the project's own tools: no import cycle
 * in src/ or bench/, no source module over 250 lines, the files package.json
 * runs exist, and bench/ organised by job (at most 4 files at its top level).
 */
import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { findCycles, importGraph, tsFiles } from "./helpers/import-graph.ts";

const ROOT = resolve(import.meta.dir, "..");
const rel = (f: string) => relative(ROOT, f);

describe("layout", () => {
  test("no import cycle in src/ or bench/", () => {
    const files = tsFiles([join(ROOT, "src"), join(ROOT, "bench")]);
    const cycles = findCycles(importGraph(files)).map((c) => c.map(rel).join(" -> "));
    console.log(`import graph: ${files.length} files, ${cycles.length} cycles`);
    expect(cycles).toEqual([]);
  });

  test("the cycle check finds a cycle when there is one", () => {
    const graph = new Map([
      ["a", ["b"]],
      ["b", ["c"]],
      ["c", ["a"]],
      ["d", ["a"]],
    ]);
    expect(findCycles(graph)).toEqual([["a", "b", "c", "a"]]);
  });

  test("no source module in src/ or bench/ is over 250 lines", () => {
    const long = tsFiles([join(ROOT, "src"), join(ROOT, "bench")])
      .map((f) => ({ file: rel(f), lines: readFileSync(f, "utf8").split("\n").length - 1 }))
      .filter((m) => m.lines > 250);
    expect(long).toEqual([]);
  });

  test("every file that package.json's bin and scripts name exists", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
      bin: Record<string, string>;
      scripts: Record<string, string>;
    };
    const named = [
      ...Object.values(pkg.bin),
      ...Object.values(pkg.scripts).flatMap((s) => s.match(/[\w./-]+\.(?:ts|sh)\b/g) ?? []),
    ];
    const missing = named.filter((path) => !existsSync(join(ROOT, path)));
    expect(named.length).toBeGreaterThan(3);
    expect(missing).toEqual([]);
  });

  test("bench/ holds at most 4 files at its top level", () => {
    const dir = join(ROOT, "bench");
    const files = readdirSync(dir).filter((n) => statSync(join(dir, n)).isFile());
    console.log(`bench/ top level: ${files.join(", ")}`);
    expect(files.length).toBeLessThanOrEqual(4);
  });
});
