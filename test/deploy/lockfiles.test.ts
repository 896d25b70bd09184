/**
 * bun.lock and package-lock.json install the same production dependencies:
 * the image is built from the first (`bun install --frozen-lockfile
 * --production`), CI and the tests run on the second (`npm ci`), so a
 * difference would ship code that no test ran.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./dockerfile-spec.ts";
import { bunProduction, keyNames, lockfileDifference, npmProduction } from "./lockfiles.ts";

const bunLock = readFileSync(join(ROOT, "bun.lock"), "utf8");
const npmLock = readFileSync(join(ROOT, "package-lock.json"), "utf8");
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

describe("lockfiles", () => {
  test("bun.lock and package-lock.json resolve the same version of every production dependency", () => {
    const diff = lockfileDifference(bunLock, npmLock);
    console.log(`lockfiles: ${diff.count} production packages in both`);
    expect(diff).toMatchObject({ onlyInBunLock: [], onlyInPackageLock: [] });
    // Every direct dependency is in, at package.json's exact version; no dev dependency is.
    const names = [...bunProduction(bunLock)].map((p) => p.slice(0, p.lastIndexOf("@")));
    for (const [name, version] of Object.entries(pkg.dependencies)) {
      expect(bunProduction(bunLock)).toContainEqual(
        expect.stringMatching(new RegExp(`^${name}@${version} `)),
      );
    }
    for (const dev of Object.keys(pkg.devDependencies)) expect(names).not.toContain(dev);
  });

  test("a transitive dependency at another version in one lockfile is reported on both sides", () => {
    const lock = Bun.JSONC.parse(bunLock) as { packages: Record<string, [string, ...unknown[]]> };
    const entry = lock.packages["sonic-boom"];
    if (!entry) throw new Error("bun.lock has no sonic-boom (a dependency of pino)");
    const original = entry[0];
    entry[0] = original.replace(/@[^@]+$/, "@0.0.1");
    const diff = lockfileDifference(JSON.stringify(lock), npmLock);
    expect(diff.onlyInBunLock).toEqual([expect.stringMatching(/^sonic-boom@0\.0\.1 /)]);
    expect(diff.onlyInPackageLock).toEqual([expect.stringMatching(new RegExp(`^${original} `))]);
  });

  test("a production package that package-lock.json marks dev-only is reported", () => {
    const lock = JSON.parse(npmLock) as { packages: Record<string, { dev?: boolean }> };
    const entry = lock.packages["node_modules/prom-client"];
    if (!entry) throw new Error("package-lock.json has no prom-client");
    entry.dev = true;
    const diff = lockfileDifference(bunLock, JSON.stringify(lock));
    expect(diff.onlyInBunLock).toEqual([expect.stringMatching(/^prom-client@15\.1\.3 /)]);
    expect(diff.onlyInPackageLock).toEqual([]);
    expect(npmProduction(npmLock).size).toBe(npmProduction(JSON.stringify(lock)).size + 1);
  });

  test("bun.lock keys name the packages along the nesting, scoped names whole", () => {
    expect(keyNames("yargs/string-width/strip-ansi")).toEqual([
      "yargs",
      "string-width",
      "strip-ansi",
    ]);
    expect(keyNames("pino/@pinojs/redact")).toEqual(["pino", "@pinojs/redact"]);
  });
});
