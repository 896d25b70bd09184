/**
 * Lays out, in a temporary directory, the files the Dockerfile's final stage
 * puts in the image, and runs commands there the way the container runtime
 * would: the exec-form argv, the image's ENV, its WORKDIR as the working
 * directory and its USER's uid (through setpriv when the tests run as root).
 *
 * The build context is read through .dockerignore (@balena/dockerignore
 * implements Docker's rules), so a COPY of an ignored or missing path fails
 * here as it would fail `docker build`. The one part that cannot be rebuilt
 * without a registry is the deps stage (`bun install --production`): it is
 * replaced by `npm ci --omit=dev --offline --ignore-scripts` from the npm
 * cache, which installs the same production packages from package-lock.json,
 * so a source file that imports a devDependency fails to start here too.
 */
import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, posix, relative } from "node:path";
import ignore from "@balena/dockerignore";
import type { Subprocess } from "bun";
import { finalStage, ROOT, readDockerfile, type Stage } from "./dockerfile-spec.ts";

/** Users the official Bun images define (BUN-NOTES: `bun` is uid 1000), by name. */
const IMAGE_USERS: Readonly<Record<string, number>> = { root: 0, bun: 1000 };

export interface ImageFs {
  /** The image's `/`. */
  readonly root: string;
  readonly stage: Stage;
  /** Host path of a path inside the image. */
  hostPath(imagePath: string): string;
  remove(): void;
}

/** Which build-context paths survive .dockerignore, relative to the context. */
export function contextFiles(context = ROOT): string[] {
  const rules = existsSync(join(context, ".dockerignore"))
    ? readFileSync(join(context, ".dockerignore"), "utf8")
    : "";
  const ig = ignore().add(rules.split("\n"));
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(join(context, dir), { withFileTypes: true })) {
      const rel = dir ? `${dir}/${entry.name}` : entry.name;
      if (entry.name === ".git" && !dir) continue; // never sent: huge and not part of the tree
      if (entry.isDirectory()) walk(rel);
      else if (!ig.ignores(rel)) files.push(rel);
    }
  };
  walk("");
  return files.sort();
}

export function assembleImage(stage = finalStage(readDockerfile())): ImageFs {
  const root = mkdtempSync(join(tmpdir(), "echod-image-"));
  chmodSync(root, 0o755);
  const hostPath = (p: string) => join(root, posix.resolve("/", stage.workdir ?? "/", p));
  const context = contextFiles();
  for (const copy of stage.copies) {
    if (copy.from === null) {
      for (const source of copy.sources) copyFromContext(context, source, copy.dest, hostPath);
    } else {
      copyFromDepsStage(copy.from, copy.sources, hostPath(copy.dest));
    }
  }
  // The runtime's `bun` at the path of the official images (a copy, not a link: the image's
  // user must not need access to the checkout), and a home the user cannot write.
  mkdirSync(join(root, "usr/local/bin"), { recursive: true });
  copyFileSync(process.execPath, join(root, "usr/local/bin/bun"));
  chmodSync(join(root, "usr/local/bin/bun"), 0o755);
  mkdirSync(join(root, "home/bun"), { recursive: true });
  return {
    root,
    stage,
    hostPath,
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}

function copyFromContext(
  context: readonly string[],
  source: string,
  dest: string,
  hostPath: (p: string) => string,
): void {
  const prefix = posix.normalize(source).replace(/\/$/, "");
  const files = context.filter((f) => f === prefix || f.startsWith(`${prefix}/`));
  if (files.length === 0) {
    throw new Error(`COPY ${source}: not in the build context (missing or .dockerignored)`);
  }
  const isDir = statSync(join(ROOT, prefix)).isDirectory();
  for (const file of files) {
    // COPY dir dest copies the directory's contents into dest; COPY file dir/ keeps the name.
    const target = isDir
      ? join(hostPath(dest), relative(prefix, file))
      : dest.endsWith("/")
        ? join(hostPath(dest), posix.basename(file))
        : hostPath(dest);
    mkdirSync(dirname(target), { recursive: true });
    cpSync(join(ROOT, file), target);
  }
}

function copyFromDepsStage(from: string, sources: readonly string[], dest: string): void {
  const spec = readDockerfile();
  const deps = spec.stages.find((s) => s.name === from);
  const wanted = deps ? `${posix.resolve(deps.workdir ?? "/", "node_modules")}` : "";
  if (!deps || sources.length !== 1 || sources[0] !== wanted) {
    throw new Error(
      `COPY --from=${from} ${sources.join(" ")}: only the deps stage's node_modules is modelled`,
    );
  }
  const work = mkdtempSync(join(tmpdir(), "echod-deps-"));
  try {
    cpSync(join(ROOT, "package.json"), join(work, "package.json"));
    cpSync(join(ROOT, "package-lock.json"), join(work, "package-lock.json"));
    const npm = Bun.spawnSync(
      ["npm", "ci", "--omit=dev", "--offline", "--ignore-scripts", "--no-audit", "--no-fund"],
      { cwd: work, stdout: "pipe", stderr: "pipe", timeout: 120_000 },
    );
    if (npm.exitCode !== 0) {
      throw new Error(`npm ci --omit=dev --offline failed: ${npm.stderr.toString()}`);
    }
    cpSync(join(work, "node_modules"), dest, { recursive: true, verbatimSymlinks: true });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export interface RunOptions {
  /** Extra environment, as `docker run -e`. */
  readonly env?: Record<string, string>;
  readonly timeoutMs?: number;
}

/** The environment a process in the container sees: the image's ENV over a minimal base. */
export function containerEnv(image: ImageFs, extra: Record<string, string> = {}) {
  return {
    PATH: `${join(image.root, "usr/local/bin")}:/usr/bin:/bin`,
    HOME: join(image.root, "home/bun"),
    ...image.stage.env,
    ...extra,
  };
}

/** Starts an exec-form command as the container runtime would. */
export function runInImage(
  image: ImageFs,
  argv: readonly string[],
  { env = {}, timeoutMs }: RunOptions = {},
): Subprocess<"ignore", "pipe", "pipe"> {
  const fullEnv = containerEnv(image, env);
  const [command, ...rest] = argv;
  const resolved = command ? Bun.which(command, { PATH: fullEnv.PATH }) : null;
  if (!resolved) throw new Error(`${command} is not on the image's PATH (${fullEnv.PATH})`);
  return Bun.spawn([...asImageUser(image.stage.user), resolved, ...rest], {
    cwd: image.hostPath("."),
    env: fullEnv,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    ...(timeoutMs === undefined ? {} : { timeout: timeoutMs, killSignal: "SIGKILL" }),
  });
}

/** setpriv to the image's USER when we are root; as ourselves otherwise (already unprivileged). */
function asImageUser(user: string | null): string[] {
  const uid = IMAGE_USERS[user ?? "root"];
  if (uid === undefined) throw new Error(`USER ${user}: not a user of the Bun base image`);
  if (process.getuid?.() !== 0 || uid === 0) return [];
  return ["setpriv", `--reuid=${uid}`, `--regid=${uid}`, "--clear-groups", "--"];
}
