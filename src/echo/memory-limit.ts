/**
 * The container's memory limit, for `--max-memory auto`: cgroup v2
 * `memory.max`, else cgroup v1 `memory.limit_in_bytes`, of this process's
 * cgroup and each cgroup above it (the smallest wins: a limit on a parent
 * holds its children too). No limit anywhere (`max`, or v1's page-rounded
 * LONG_MAX) gives null, and so no budget.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { MemorySetting } from "../options/cluster.ts";
import { AUTO_MEMORY_SHARE } from "../options/cluster.ts";

/** v1 reports "no limit" as LONG_MAX rounded down to a page; anything this large is no limit. */
const UNLIMITED = 2 ** 60;

export interface CgroupPaths {
  /** Where the cgroup filesystems are mounted. */
  readonly root: string;
  /** This process's membership, as in /proc/self/cgroup. */
  readonly membership: string;
}

const SYSTEM: CgroupPaths = { root: "/sys/fs/cgroup", membership: "/proc/self/cgroup" };

/** The smallest memory limit over this process's cgroup and its ancestors, in bytes; null when none. */
export function readMemoryLimit(paths: CgroupPaths = SYSTEM): number | null {
  const lines = readText(paths.membership)?.split("\n") ?? [];
  let v2: string | null = null;
  let v1: string | null = null;
  for (const line of lines) {
    const [, controllers, path] = line.split(":", 3) as [string, string?, string?];
    if (path === undefined) continue;
    if (controllers === "") v2 = path;
    else if (controllers?.split(",").includes("memory")) v1 = path;
  }
  return (
    (v2 === null ? null : smallest(paths.root, v2, "memory.max")) ??
    (v1 === null ? null : smallest(join(paths.root, "memory"), v1, "memory.limit_in_bytes"))
  );
}

/** The bytes --max-memory stands for: a size as given, `auto` as a share of the limit, 0 for none. */
export function resolveMemoryBudget(
  setting: MemorySetting,
  limit: () => number | null = readMemoryLimit,
): number {
  if (setting !== "auto") return setting;
  const bytes = limit();
  return bytes === null ? 0 : Math.floor(bytes * AUTO_MEMORY_SHARE);
}

function smallest(mount: string, cgroup: string, file: string): number | null {
  let least: number | null = null;
  // The cgroup itself, then each parent, up to the mount's root.
  const parts = cgroup.split("/").filter((p) => p !== "");
  for (let depth = parts.length; depth >= 0; depth--) {
    const text = readText(join(mount, ...parts.slice(0, depth), file))?.trim();
    if (text === undefined || text === "max") continue;
    const n = Number(text);
    if (Number.isFinite(n) && n > 0 && n < UNLIMITED && (least === null || n < least)) least = n;
  }
  return least;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}
