/**
 * Checks JSON-like values (manifests, a dashboard) against TypeScript
 * interfaces that a project publishes for them, with tsc's excess-property
 * check: each value becomes an object literal assigned to its type, so a
 * misspelt or unknown field is an error, which JSON schemas that allow
 * additional properties do not report. Returns tsc's output ("" when clean).
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "../..");

export interface Typed {
  /** Module that exports the type, resolved from the repository's node_modules. */
  readonly module: string;
  readonly type: string;
  readonly value: unknown;
}

export function typecheck(values: readonly Typed[]): { code: number; output: string } {
  // Under the repository (in the ignored .tmp/) so that the modules resolve.
  const dir = join(ROOT, ".tmp", `typecheck-${process.pid}-${Date.now()}`);
  mkdirSync(dir, { recursive: true });
  try {
    const lines = values.map(
      (v, i) =>
        `import type { ${v.type} as T${i} } from "${v.module}";\nexport const v${i}: T${i} = ${JSON.stringify(v.value)};`,
    );
    writeFileSync(join(dir, "values.ts"), `${lines.join("\n")}\n`);
    const tsc = Bun.spawnSync(
      [
        join(ROOT, "node_modules/.bin/tsc"),
        "--ignoreConfig",
        "--noEmit",
        "--strict",
        "--skipLibCheck",
        "--module",
        "preserve",
        "--moduleResolution",
        "bundler",
        "--target",
        "esnext",
        "--types",
        "",
        join(dir, "values.ts"),
      ],
      { cwd: ROOT, stdout: "pipe", stderr: "pipe", timeout: 120_000 },
    );
    return { code: tsc.exitCode, output: tsc.stdout.toString() + tsc.stderr.toString() };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
