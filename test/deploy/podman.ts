/**
 * Podman for the container tests: every command reads test/deploy/
 * containers.conf (through CONTAINERS_CONF: runc, no default ulimits, no
 * systemd), containers are named after this run and removed by name, and
 * the image is built by `npm run image` in a copy of the checkout that holds
 * only what git tracks. Nothing here touches a container or image it did not
 * create, apart from the cached stand-in base (test/deploy/base-image.sh).
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { ROOT } from "./dockerfile-spec.ts";

export const CONTAINERS_CONF = join(import.meta.dir, "containers.conf");
const ENV = { ...process.env, CONTAINERS_CONF };

/** Unique per test run: container and image names start with it. */
export const RUN_ID = `echod-test-${process.pid}-${Date.now().toString(36)}`;

export interface Result {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** Runs a command to its end (killed after `timeoutMs`), without blocking the event loop. */
export async function run(
  argv: readonly string[],
  { cwd = ROOT, timeoutMs = 60_000 }: { cwd?: string; timeoutMs?: number } = {},
): Promise<Result> {
  const started = performance.now();
  const proc = Bun.spawn([...argv], {
    cwd,
    env: ENV,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    timeout: timeoutMs,
    killSignal: "SIGKILL",
  });
  const [code, stdout, stderr] = await Promise.all([
    proc.exited,
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
  ]);
  return { code, stdout, stderr, ms: performance.now() - started };
}

export const podman = (args: readonly string[], timeoutMs?: number) =>
  run(["podman", ...args], timeoutMs === undefined ? {} : { timeoutMs });

/** Like `podman`, but a non-zero exit throws with what podman said. */
export async function podmanOk(args: readonly string[], timeoutMs?: number): Promise<string> {
  const result = await podman(args, timeoutMs);
  if (result.code !== 0) {
    throw new Error(`podman ${args.join(" ")}: exit ${result.code}: ${result.stderr.trim()}`);
  }
  return result.stdout.trim();
}

/** Why podman cannot run containers here, or null when it can. */
export function whyNoPodman(): string | null {
  if (!Bun.which("podman")) return "podman is not installed (.ci/test-tools installs it)";
  if (process.getuid?.() !== 0) return "not root (the stand-in base needs debootstrap as root)";
  if (!Bun.which("debootstrap")) return "debootstrap is not installed (.ci/test-tools installs it)";
  const info = Bun.spawnSync(["podman", "info"], { env: ENV, stdout: "ignore", stderr: "pipe" });
  if (info.exitCode !== 0) return `podman info fails: ${info.stderr.toString().trim()}`;
  return null;
}

/** Makes (or finds cached) the stand-in for the Dockerfile's base image; its name. */
export async function ensureBaseImage(): Promise<string> {
  const result = await run(["bash", "test/deploy/base-image.sh"], { timeoutMs: 240_000 });
  if (result.code !== 0) throw new Error(`base-image.sh: exit ${result.code}: ${result.stderr}`);
  return result.stdout.trim();
}

/** A temporary copy of the files git tracks (as the working tree has them): what a fresh clone holds. */
export function cleanCheckout(): string {
  const listed = Bun.spawnSync(["git", "ls-files", "-z", "--cached"], {
    cwd: ROOT,
    stdout: "pipe",
    stderr: "pipe",
  });
  if (listed.exitCode !== 0) throw new Error(`git ls-files: ${listed.stderr.toString()}`);
  const dir = mkdtempSync(join(tmpdir(), "echod-checkout-"));
  for (const file of listed.stdout.toString().split("\0").filter(Boolean)) {
    if (!existsSync(join(ROOT, file))) continue; // deleted in the working tree
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    cpSync(join(ROOT, file), join(dir, file), { verbatimSymlinks: true });
  }
  return dir;
}

export interface ImageInfo {
  readonly Size: number;
  /** The HEALTHCHECK, durations in nanoseconds; absent when the build dropped it. */
  readonly Healthcheck?: { Test: string[]; Timeout: number; StartPeriod: number; Retries: number };
  readonly Config: {
    readonly User: string;
    readonly Labels: Record<string, string>;
    readonly StopSignal?: string;
  };
}

export async function inspectImage(name: string): Promise<ImageInfo> {
  const [info] = JSON.parse(await podmanOk(["image", "inspect", name])) as ImageInfo[];
  if (!info) throw new Error(`no image ${name}`);
  return info;
}

const started: string[] = [];

/** A container name for this run, remembered for `removeContainers`. */
export function containerName(what: string): string {
  const name = `${RUN_ID}-${what}`;
  started.push(name);
  return name;
}

/** `podman rm -f` of every container this run named, and nothing else. */
export async function removeContainers(): Promise<void> {
  if (started.length > 0) await podman(["rm", "-f", "-t", "0", ...started.splice(0)]);
}

/** The flags for `podman run` that give a container what the Deployment's securityContext gives a pod. */
export function securityFlags(container: {
  securityContext: {
    readOnlyRootFilesystem: boolean;
    allowPrivilegeEscalation: boolean;
    capabilities: { drop: string[] };
  };
  volumeMounts?: { mountPath: string }[];
}): string[] {
  const sc = container.securityContext;
  return [
    ...(sc.readOnlyRootFilesystem ? ["--read-only", "--read-only-tmpfs=false"] : []),
    ...(container.volumeMounts ?? []).flatMap((m) => ["--tmpfs", m.mountPath]),
    ...sc.capabilities.drop.flatMap((c) => ["--cap-drop", c]),
    ...(sc.allowPrivilegeEscalation ? [] : ["--security-opt", "no-new-privileges"]),
  ];
}

/** `-e NAME=value` for each variable; only ECHOD_* ones are accepted. */
export function envFlags(env: Record<string, string>): string[] {
  return Object.entries(env).flatMap(([k, v]) => {
    if (!k.startsWith("ECHOD_"))
      throw new Error(`${k}: the container is configured by ECHOD_* only`);
    return ["-e", `${k}=${v}`];
  });
}

/** A process's status fields from the host's /proc (Uid, Gid, CapEff, NoNewPrivs, NSpid...). */
export function procStatus(pid: number): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of readFileSync(`/proc/${pid}/status`, "utf8").split("\n")) {
    const at = line.indexOf(":");
    if (at > 0) fields[line.slice(0, at)] = line.slice(at + 1).trim();
  }
  return fields;
}

/** The mount options of a process's root filesystem, from /proc/PID/mountinfo. */
export function rootMountOptions(pid: number): string[] {
  const root = readFileSync(`/proc/${pid}/mountinfo`, "utf8")
    .split("\n")
    .map((l) => l.split(" "))
    .find((f) => f[4] === "/");
  return (root?.[5] ?? "").split(",");
}

/** The container's log lines, as `podman logs` gives them: its stdout and its stderr. */
export async function logLines(name: string): Promise<{ stdout: string[]; stderr: string[] }> {
  const result = await podman(["logs", name]);
  const lines = (text: string) => text.split("\n").filter(Boolean);
  return { stdout: lines(result.stdout), stderr: lines(result.stderr) };
}

export async function state(name: string, field: string): Promise<string> {
  return podmanOk(["inspect", name, "--format", `{{.State.${field}}}`]);
}

/** Lists name@version of every package under /app/node_modules, nested ones too (run by the image's bun). */
const LIST_PACKAGES = `
const { readdirSync, readFileSync, existsSync } = require("node:fs");
const found = new Set();
const walk = (dir) => {
  for (const entry of readdirSync(dir).filter((n) => !n.startsWith("."))) {
    const names = entry.startsWith("@") ? readdirSync(dir + "/" + entry).map((n) => entry + "/" + n) : [entry];
    for (const name of names) {
      const manifest = dir + "/" + name + "/package.json";
      if (!existsSync(manifest)) continue;
      const { name: n, version } = JSON.parse(readFileSync(manifest, "utf8"));
      found.add(n + "@" + version);
      if (existsSync(dir + "/" + name + "/node_modules")) walk(dir + "/" + name + "/node_modules");
    }
  }
};
walk("/app/node_modules");
console.log([...found].sort().join("\\n"));
`;

/** The packages the image's node_modules holds, as name@version, sorted. */
export async function installedPackages(image: string): Promise<string[]> {
  const args = [
    "run",
    "--rm",
    "--network",
    "none",
    "--entrypoint",
    "bun",
    image,
    "-e",
    LIST_PACKAGES,
  ];
  return (await podmanOk(args, 30_000)).split("\n").filter(Boolean);
}
