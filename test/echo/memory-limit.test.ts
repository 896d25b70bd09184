/**
 * The cgroup memory limit behind --max-memory auto, read from fake cgroup
 * trees: v2 memory.max and v1 memory.limit_in_bytes of this process's
 * cgroup and its parents (the smallest wins); "max" and v1's LONG_MAX are
 * no limit, and then auto is no budget.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readMemoryLimit, resolveMemoryBudget } from "../../src/echo/memory-limit.ts";

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tree(membership: string, files: Record<string, string>) {
  const root = mkdtempSync(join(tmpdir(), "echod-cgroup-"));
  made.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, ".."), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  writeFileSync(join(root, "self-cgroup"), membership);
  return { root, membership: join(root, "self-cgroup") };
}

describe("the cgroup memory limit", () => {
  test("v2: memory.max of the process's cgroup, or a smaller one above it", () => {
    const own = tree("0::/kubepods/pod1/echod\n", {
      "kubepods/pod1/echod/memory.max": "805306368\n",
    });
    expect(readMemoryLimit(own)).toBe(805306368);
    const parent = tree("0::/kubepods/pod1/echod\n", {
      "kubepods/pod1/echod/memory.max": "max\n",
      "kubepods/pod1/memory.max": "268435456\n",
    });
    expect(readMemoryLimit(parent)).toBe(268435456);
  });

  test("v1: memory.limit_in_bytes under the memory hierarchy; LONG_MAX is no limit", () => {
    const v1 = tree("12:memory:/docker/abc\n1:cpu:/\n", {
      "memory/docker/abc/memory.limit_in_bytes": "536870912\n",
      "memory/memory.limit_in_bytes": "9223372036854771712\n",
    });
    expect(readMemoryLimit(v1)).toBe(536870912);
    const none = tree("12:memory:/\n", { "memory/memory.limit_in_bytes": "9223372036854771712\n" });
    expect(readMemoryLimit(none)).toBeNull();
  });

  test("no limit anywhere, or no cgroup files at all: null", () => {
    expect(readMemoryLimit(tree("0::/\n", { "memory.max": "max\n" }))).toBeNull();
    expect(readMemoryLimit(tree("", {}))).toBeNull();
  });

  test("--max-memory auto is 25% of the limit, none without one; sizes and 0 are as given", () => {
    expect(resolveMemoryBudget("auto", () => 768 * 2 ** 20)).toBe(192 * 2 ** 20);
    expect(resolveMemoryBudget("auto", () => null)).toBe(0);
    expect(resolveMemoryBudget(64 * 2 ** 20, () => 1)).toBe(64 * 2 ** 20);
    expect(resolveMemoryBudget(0, () => 2 ** 30)).toBe(0);
  });
});
