/**
 * What machine a comparison ran on, for the results file and the README:
 * CPU model, cores, kernel, and the versions of Bun, Node.js, Go and the C
 * compiler that built or ran the servers.
 */
import { readFileSync } from "node:fs";
import os from "node:os";

export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly kernel: string;
  readonly bun: string;
  readonly node: string | null;
  readonly go: string | null;
  readonly cc: string | null;
  readonly taskset: boolean;
}

function firstLine(cmd: string[]): string | null {
  if (Bun.which(cmd[0] as string) === null) return null;
  try {
    const out = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe", timeout: 10_000 });
    const text = `${out.stdout.toString()}${out.stderr.toString()}`.trim();
    return out.exitCode === 0 ? (text.split("\n")[0] ?? null) : null;
  } catch {
    return null;
  }
}

export function describeMachine(): Machine {
  let cpu = os.cpus()[0]?.model ?? "unknown";
  try {
    cpu = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? cpu;
  } catch {
    // Not Linux: os.cpus() it is.
  }
  return {
    cpu,
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 1024 ** 3),
    kernel: `${os.type()} ${os.release()}`,
    bun: Bun.version,
    node: firstLine(["node", "--version"]),
    go: firstLine(["go", "version"]),
    cc: firstLine(["cc", "--version"]),
    taskset: Bun.which("taskset") !== null,
  };
}
