/**
 * Starts the real CLI (`bun src/main.ts`) in a child process, as a user
 * would, reads its JSON log lines and waits for its "echod listening" line.
 * The one way the bench scripts and the tests (test/helpers/spawn-echod.ts)
 * start echod, so everything that can hang runs in a child that can be killed.
 */
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

export interface Echod {
  readonly proc: Subprocess<"ignore", "pipe", "pipe">;
  /** The echo port, read from the startup log line. */
  readonly port: number;
  /** The admin port, when the admin server is on. */
  readonly metricsPort: number | null;
  /** The "echod listening" line itself. */
  readonly started: Record<string, unknown>;
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

export interface SpawnOptions {
  /** The whole environment of the child (default: this process's). */
  readonly env?: Record<string, string | undefined>;
  readonly timeoutMs?: number;
  /** Run through this command, e.g. `["bash", "-c", 'ulimit -n 200 && exec "$@"', "bash"]`. */
  readonly prefix?: readonly string[];
  /** Copy the child's stderr to ours as it comes (it is collected either way). */
  readonly echoStderr?: boolean;
}

/** The port of a `host:port` address in a log line (`"127.0.0.1:7007"`, `"[::1]:7007"`); NaN if absent. */
export function portOf(address: unknown): number {
  return typeof address === "string" ? Number(address.split(":").pop()) : Number.NaN;
}

/** Starts echod with `args` and waits until it listens (rejects if it exits or stays silent). */
export async function spawnEchod(
  args: readonly string[],
  { env = process.env, timeoutMs = 10_000, prefix = [], echoStderr = false }: SpawnOptions = {},
): Promise<Echod> {
  const proc = Bun.spawn([...prefix, process.execPath, MAIN, ...args], {
    cwd: ROOT,
    env,
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
    for await (const chunk of proc.stderr) {
      const text = new TextDecoder().decode(chunk);
      errText += text;
      if (echoStderr) process.stderr.write(text);
    }
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
  const admin = portOf(started.admin);
  return {
    proc,
    port: portOf(started.echo),
    metricsPort: typeof started.admin === "string" ? admin : null,
    started,
    lines,
    stderr: () => errText,
    exited,
    waitForLine,
    kill: (signal = "SIGTERM") => proc.kill(signal),
  };
}
