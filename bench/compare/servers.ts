/**
 * The echo servers that `npm run bench:compare` runs: echod itself (the real
 * CLI, `bun src/main.ts`, one process, metrics on) and the baselines of
 * bench/baselines/ — a bare `Bun.listen` echo and Node.js `net` (always), Go with a goroutine per
 * connection (built when `go` exists) and a single-threaded C epoll server
 * (built when a C compiler exists). A baseline that cannot be built is
 * skipped with the reason. Each server binds port 0 and says which port it
 * got on stdout.
 */
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import type { Subprocess } from "bun";
import { freePort } from "../common/ports.ts";

export const ROOT = resolve(import.meta.dir, "../..");
const BASELINES = resolve(ROOT, "bench/baselines");
const BIN = resolve(BASELINES, "bin");

export interface ServerSpec {
  readonly name: string;
  /** The command without its listen address, which `startServer` appends. */
  readonly command: readonly string[];
  /** The flag before the listen address, or null when it is the last positional argument. */
  readonly hostFlag: string | null;
  /** echod only: it serves /metrics on this port. */
  readonly metricsPort: number | null;
}

export interface Skipped {
  readonly name: string;
  readonly reason: string;
}

/** Runs a build command; null when it worked, else what went wrong in one line. */
function build(cmd: string[], cwd: string): string | null {
  const out = Bun.spawnSync(cmd, {
    cwd,
    stdout: "pipe",
    stderr: "pipe",
    timeout: 300_000,
    // The Go toolchain must not try to fetch anything: there is nothing to fetch.
    env: { ...process.env, GOFLAGS: "", GOPROXY: "off", GOTOOLCHAIN: "local" },
  });
  return out.exitCode === 0
    ? null
    : `${cmd.join(" ")} failed: ${out.stderr.toString().trim().split("\n")[0]}`;
}

/** A compiled baseline: the command that runs `binary` once `cmd` has built it, or why it failed. */
function built(binary: string, cmd: string[], cwd: string): string[] | string {
  return build(cmd, cwd) ?? [binary, "0"];
}

/** A baseline server: it takes the port first and the listen address last. */
export function baselineSpec(name: string, command: readonly string[]): ServerSpec {
  return { name, command, hostFlag: null, metricsPort: null };
}

export { freePort };

/** echod and every baseline that can be built here; the rest as skipped, with why. */
export function prepareServers(): { servers: ServerSpec[]; skipped: Skipped[] } {
  mkdirSync(BIN, { recursive: true });
  const metricsPort = freePort();
  const servers: ServerSpec[] = [
    {
      name: "echod",
      command: [
        process.execPath,
        resolve(ROOT, "src/main.ts"),
        "--port",
        "0",
        "--metrics-port",
        String(metricsPort),
        "--metrics-host",
        "127.0.0.1",
        "--log-level",
        "info",
      ],
      hostFlag: "--host",
      metricsPort,
    },
  ];
  const skipped: Skipped[] = [];
  /** A baseline's command, or the reason it is skipped. */
  const add = (name: string, commandOrReason: readonly string[] | string) => {
    if (typeof commandOrReason === "string") skipped.push({ name, reason: commandOrReason });
    else servers.push(baselineSpec(name, commandOrReason));
  };

  add("bun", [process.execPath, resolve(BASELINES, "bun-echo.ts"), "0"]);
  const node = Bun.which("node");
  add("node", node ? [node, resolve(BASELINES, "node-echo.mjs"), "0"] : "node is not on PATH");

  const go = Bun.which("go");
  const goEcho = resolve(BIN, "go-echo");
  add(
    "go",
    go
      ? built(goEcho, [go, "build", "-o", goEcho, "main.go"], resolve(BASELINES, "go-echo"))
      : "go is not on PATH",
  );

  const cc = Bun.which("cc") ?? Bun.which("gcc") ?? Bun.which("clang");
  const epollEcho = resolve(BIN, "epoll-echo");
  add(
    "c-epoll",
    cc
      ? built(epollEcho, [cc, "-O2", "-o", epollEcho, "epoll-echo.c"], BASELINES)
      : "no C compiler (cc, gcc, clang) on PATH",
  );
  return { servers, skipped };
}

export interface RunningServer {
  readonly pid: number;
  readonly host: string;
  readonly port: number;
  /** echod's /metrics URL, once its admin server answers; null for the baselines. */
  readonly metricsUrl: string | null;
  stop(): Promise<void>;
}

/**
 * Starts `spec` on `host` (an IPv4 loopback address), pinned to `cpu` when
 * given, and waits for the port it reports.
 */
export async function startServer(
  spec: ServerSpec,
  cpu: number | null,
  host = "127.0.0.1",
): Promise<RunningServer> {
  const taskset = cpu !== null ? ["taskset", "-c", String(cpu)] : [];
  const address = spec.hostFlag ? [spec.hostFlag, host] : [host];
  const proc: Subprocess<"ignore", "pipe", "pipe"> = Bun.spawn(
    [...taskset, ...spec.command, ...address],
    {
      cwd: ROOT,
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    },
  );
  const port = await readPort(proc, 15_000).catch(async (error: Error) => {
    proc.kill("SIGKILL");
    const stderr = await new Response(proc.stderr).text();
    throw new Error(`${spec.name} did not start: ${error.message} ${stderr.trim()}`);
  });
  void new Response(proc.stderr).text();
  let metricsUrl: string | null = null;
  if (spec.metricsPort !== null) {
    const url = `http://127.0.0.1:${spec.metricsPort}/metrics`;
    const ok = await fetch(url, { signal: AbortSignal.timeout(2000) }).then(
      (r) => r.ok,
      () => false,
    );
    metricsUrl = ok ? url : null;
  }
  return {
    pid: proc.pid,
    host,
    port,
    metricsUrl,
    async stop() {
      proc.kill("SIGTERM");
      const timer = setTimeout(() => proc.kill("SIGKILL"), 5000);
      await proc.exited;
      clearTimeout(timer);
    },
  };
}

/** Reads stdout until "listening PORT" (baselines) or echod's JSON "echod listening" line. */
async function readPort(
  proc: Subprocess<"ignore", "pipe", "pipe">,
  timeoutMs: number,
): Promise<number> {
  const reader = proc.stdout.getReader();
  const decoder = new TextDecoder();
  let text = "";
  const deadline = setTimeout(() => reader.cancel(), timeoutMs);
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done)
        throw new Error(`no port line on stdout (got ${JSON.stringify(text.slice(0, 200))})`);
      text += decoder.decode(value);
      const plain = /^listening (\d+)$/m.exec(text);
      if (plain) return Number(plain[1]);
      const echod = /"echo":"[^"]*:(\d+)"/.exec(text);
      if (echod) return Number(echod[1]);
    }
  } finally {
    clearTimeout(deadline);
    // Keep draining stdout so a chatty server never blocks on a full pipe.
    void (async () => {
      try {
        for (;;) if ((await reader.read()).done) break;
      } catch {
        // Cancelled or closed.
      }
    })();
  }
}
