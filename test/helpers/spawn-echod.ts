/**
 * Runs the real CLI (`bun src/main.ts`) in a child process, as a user would,
 * and reads its JSON log lines. Everything that can hang runs here, so a
 * test can always kill it.
 */
import { afterEach, expect } from "bun:test";
import { resolve } from "node:path";
import type { Subprocess } from "bun";

export const ROOT = resolve(import.meta.dir, "../..");
export const MAIN = resolve(ROOT, "src/main.ts");

/** The first arguments for an echod on loopback with its admin server: both ports chosen by the kernel. */
export const LOOPBACK_WITH_ADMIN: readonly string[] = [
  "0",
  "--host",
  "127.0.0.1",
  "--metrics-port",
  "0",
  "--metrics-host",
  "127.0.0.1",
];

/** A list for the echods a test file starts: each is killed after its test, even one that failed half-way. */
export function killedAfterEach(): Echod[] {
  const running: Echod[] = [];
  afterEach(() => {
    for (const e of running.splice(0)) e.proc.kill("SIGKILL");
  });
  return running;
}

export interface Echod {
  readonly proc: Subprocess<"ignore", "pipe", "pipe">;
  /** The echo port, read from the startup log line. */
  readonly port: number;
  /** The admin port, when the admin server is on. */
  readonly metricsPort: number | null;
  /** Every JSON log line so far. */
  readonly lines: Record<string, unknown>[];
  readonly stderr: () => string;
  /** Resolves with the exit code. */
  readonly exited: Promise<number>;
  waitForLine(
    predicate: (line: Record<string, unknown>) => boolean,
    ms?: number,
  ): Promise<Record<string, unknown>>;
  kill(signal?: NodeJS.Signals): void;
}

/** Starts echod with `args` (port 0 and no admin server unless given) and waits until it listens. */
export async function spawnEchod(
  args: readonly string[],
  {
    env = {},
    timeoutMs = 10_000,
    prefix = [],
  }: {
    env?: Record<string, string>;
    timeoutMs?: number;
    /** Run through this command, e.g. `["bash", "-c", 'ulimit -n 200 && exec "$@"', "bash"]`. */
    prefix?: string[];
  } = {},
): Promise<Echod> {
  const proc = Bun.spawn([...prefix, process.execPath, MAIN, ...args], {
    cwd: ROOT,
    env: { ...cleanEnv(), ...env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const lines: Record<string, unknown>[] = [];
  const waiters = new Set<() => void>();
  let errText = "";
  void (async () => {
    let pending = "";
    for await (const chunk of proc.stdout) {
      pending += new TextDecoder().decode(chunk);
      let nl = pending.indexOf("\n");
      while (nl >= 0) {
        const text = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        try {
          lines.push(JSON.parse(text));
        } catch {
          lines.push({ text });
        }
        nl = pending.indexOf("\n");
      }
      for (const w of waiters) w();
    }
  })();
  void (async () => {
    for await (const chunk of proc.stderr) errText += new TextDecoder().decode(chunk);
  })();
  const exited = proc.exited;

  const waitForLine = (predicate: (line: Record<string, unknown>) => boolean, ms = timeoutMs) =>
    new Promise<Record<string, unknown>>((resolveLine, rejectLine) => {
      const check = () => {
        const found = lines.find(predicate);
        if (found) {
          cleanup();
          resolveLine(found);
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        rejectLine(
          new Error(
            `no matching log line within ${ms} ms; stderr: ${errText}; lines: ${JSON.stringify(lines)}`,
          ),
        );
      }, ms);
      const cleanup = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      exited.then(() => setTimeout(check, 50));
      waiters.add(check);
      check();
    });

  const started = await waitForLine((l) => l.msg === "echod listening");
  const port = Number(String(started.echo).split(":").pop());
  const admin = typeof started.admin === "string" ? Number(started.admin.split(":").pop()) : null;
  return {
    proc,
    port,
    metricsPort: admin,
    lines,
    stderr: () => errText,
    exited,
    waitForLine,
    kill: (signal = "SIGTERM") => proc.kill(signal),
  };
}

/** Runs the CLI to completion (for bad input, --help, --version). */
export function runEchod(
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 10_000,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return runScript(MAIN, args, env, timeoutMs);
}

/** Runs a Bun entry point of this repository to completion and collects its output. */
export function runScript(
  entry: string,
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 10_000,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return runCommand([process.execPath, entry, ...args], env, timeoutMs);
}

/** Runs a command in the repository's root to completion (killed after `timeoutMs`) and collects its output. */
export async function runCommand(
  command: string[],
  env: Record<string, string> = {},
  timeoutMs = 10_000,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const proc = Bun.spawn(command, {
    cwd: ROOT,
    env: { ...cleanEnv(), ...env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    timeout: timeoutMs,
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { code, stdout, stderr };
}

/** Bad input: exit 2, nothing on stdout, one line on stderr that starts "echod: " and matches `message`. */
export async function expectUsageError(args: string[], message: RegExp): Promise<void> {
  const { code, stderr, stdout } = await runEchod(args);
  expect(code).toBe(2);
  expect(stdout).toBe("");
  const lines = stderr.trimEnd().split("\n");
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^echod: /);
  expect(lines[0]).toMatch(message);
}

/** The parent's environment without any ECHOD_* variable, so tests are not steered by the shell. */
function cleanEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !k.startsWith("ECHOD_")) env[k] = v;
  }
  return env;
}
