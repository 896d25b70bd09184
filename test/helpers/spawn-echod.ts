/**
 * Runs the real CLI (`bun src/main.ts`) in a child process, as a user would,
 * and reads its JSON log lines. Everything that can hang runs here, so a
 * test can always kill it.
 */
import { afterAll, afterEach, beforeAll } from "bun:test";
import {
  type Echod,
  LOOPBACK_WITH_ADMIN,
  MAIN,
  portOf,
  ROOT,
  spawnEchod as spawnChild,
} from "../../bench/common/spawn-echod.ts";

export { type Echod, LOOPBACK_WITH_ADMIN, MAIN, ROOT };

/** The first arguments for an echod on loopback without its admin server, the echo port chosen by the kernel. */
export const LOOPBACK: readonly string[] = ["0", "--host", "127.0.0.1", "--no-metrics"];

/**
 * A list for the echods a test file starts: each is killed after its test,
 * even one that failed half-way, along with the processes `alsoKill` names
 * (a `--workers` echod's workers, which a SIGKILLed primary cannot stop).
 */
export function killedAfterEach(alsoKill: (echod: Echod) => readonly number[] = () => []): Echod[] {
  const running: Echod[] = [];
  afterEach(() => {
    for (const e of running.splice(0)) {
      e.proc.kill("SIGKILL");
      for (const pid of alsoKill(e)) killQuietly(pid);
    }
  });
  return running;
}

/** `spawnEchod` for a test file whose every echod is killed after its test (see killedAfterEach). */
export function spawnKilledAfterEach(
  alsoKill?: (echod: Echod) => readonly number[],
): typeof spawnEchod {
  const running = killedAfterEach(alsoKill);
  return async (args, options) => {
    const echod = await spawnEchod(args, options);
    running.push(echod);
    return echod;
  };
}

/** One echod with its admin port for a whole test file: started before its first test, killed after its last. */
export function echodForFile(args: readonly string[]): {
  readonly echod: Echod;
  readonly admin: number;
} {
  let started: Echod | undefined;
  beforeAll(async () => {
    started = await spawnEchod(args);
  });
  afterAll(() => started?.proc.kill("SIGKILL"));
  return {
    get echod() {
      if (started === undefined) throw new Error("echodForFile: the echod starts in beforeAll");
      return started;
    },
    get admin() {
      return this.echod.metricsPort as number;
    },
  };
}

/** The "echod listening" line's TLS port (NaN without a TLS listener). */
export function tlsPortOf(echod: Echod): number {
  const listeners = echod.started.listeners as Record<string, string> | undefined;
  return portOf(listeners?.tls);
}

/** SIGKILL to `pid`, if it still exists. */
export function killQuietly(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {}
}

/** Starts echod with `args` (port 0 and no admin server unless given) and waits until it listens. */
export function spawnEchod(
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
  return spawnChild(args, { env: { ...cleanEnv(), ...env }, timeoutMs, prefix });
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

/** The parent's environment without any ECHOD_* variable, so tests are not steered by the shell. */
function cleanEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !k.startsWith("ECHOD_")) env[k] = v;
  }
  return env;
}
