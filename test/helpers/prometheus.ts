/**
 * A real Prometheus server (Debian's package) for the tests: it reads
 * `prometheus.yml` from `dir`, keeps its data there and serves its API on a
 * free loopback port. The caller kills it.
 */
import { join } from "node:path";
import type { Subprocess } from "bun";
import { freePort } from "../../bench/common/ports.ts";

export function startPrometheus(dir: string): { port: number; proc: Subprocess } {
  const port = freePort();
  const proc = Bun.spawn(
    [
      "prometheus",
      `--config.file=${join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdout: "ignore", stderr: "ignore" },
  );
  return { port, proc };
}
