/**
 * The production dependencies each lockfile installs, as a set of
 * `name@version integrity`: from bun.lock (what the image's `bun install
 * --frozen-lockfile --production` installs) by walking the dependency graph
 * from the workspace's dependencies the way Bun resolves nested keys, and
 * from package-lock.json (what CI's `npm ci` installs) as every package npm
 * does not mark dev-only. The two sets must be equal.
 */

interface BunLock {
  workspaces: Record<string, { dependencies?: Record<string, string> }>;
  /** key ("a", or "a/b" for b nested under a) -> [name@version, registry, meta, integrity] */
  packages: Record<string, [string, string, BunMeta?, string?]>;
}

interface BunMeta {
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

interface NpmLock {
  packages: Record<
    string,
    { name?: string; version?: string; integrity?: string; dev?: boolean; link?: boolean }
  >;
}

/** "a/@s/b/c" -> ["a", "@s/b", "c"]: the package names along a bun.lock key. */
export function keyNames(key: string): string[] {
  const names: string[] = [];
  const parts = key.split("/");
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] ?? "";
    names.push(part.startsWith("@") ? `${part}/${parts[++i] ?? ""}` : part);
  }
  return names;
}

/** The key that `dependency`, required by the package at `from`, resolves to: the nearest nesting first. */
function resolveKey(lock: BunLock, from: string[], dependency: string): string | null {
  for (let depth = from.length; depth >= 0; depth--) {
    const key = [...from.slice(0, depth), dependency].join("/");
    if (lock.packages[key]) return key;
  }
  return null;
}

export function bunProduction(text: string): Set<string> {
  const lock = Bun.JSONC.parse(text) as BunLock;
  const seen = new Set<string>();
  const found = new Set<string>();
  const visit = (from: string[], dependency: string, optional: boolean) => {
    const key = resolveKey(lock, from, dependency);
    if (key === null) {
      if (optional) return;
      throw new Error(
        `bun.lock: ${dependency} (required by ${from.join("/") || "echod"}) is missing`,
      );
    }
    if (seen.has(key)) return;
    seen.add(key);
    const [spec, , meta = {}, integrity = ""] = lock.packages[key] ?? [""];
    found.add(`${spec} ${integrity}`);
    const names = keyNames(key);
    for (const d of Object.keys(meta.dependencies ?? {})) visit(names, d, false);
    for (const d of Object.keys(meta.optionalDependencies ?? {})) visit(names, d, true);
    for (const d of Object.keys(meta.peerDependencies ?? {})) visit(names, d, true);
  };
  for (const d of Object.keys(lock.workspaces[""]?.dependencies ?? {})) visit([], d, false);
  return found;
}

export function npmProduction(text: string): Set<string> {
  const lock = JSON.parse(text) as NpmLock;
  const found = new Set<string>();
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path === "" || entry.dev || entry.link) continue;
    const name =
      entry.name ?? path.slice(path.lastIndexOf("node_modules/") + "node_modules/".length);
    found.add(`${name}@${entry.version} ${entry.integrity ?? ""}`);
  }
  return found;
}

/** What one lockfile installs and the other does not, each side sorted. */
export function lockfileDifference(bunLock: string, npmLock: string) {
  const bun = bunProduction(bunLock);
  const npm = npmProduction(npmLock);
  return {
    onlyInBunLock: [...bun].filter((p) => !npm.has(p)).sort(),
    onlyInPackageLock: [...npm].filter((p) => !bun.has(p)).sort(),
    count: bun.size,
  };
}
