/**
 * Runs echod's image as the Deployment runs it, for the container tests:
 * the securityContext of deploy/kubernetes/deployment.yaml turned into
 * `podman run` flags, the host network with free loopback ports, ECHOD_*
 * variables only; and waits for what the tests watch (the first echo, the
 * "echod listening" line, the exit after `podman stop`).
 */
import { expect } from "bun:test";
import { freePort } from "../../bench/common/ports.ts";
import { echoOnce } from "../helpers/net-client.ts";
import { loadManifests } from "./manifests.ts";
import * as pm from "./podman.ts";

type PodSpec = {
  securityContext: { runAsUser: number; runAsGroup: number };
  containers: Parameters<typeof pm.securityFlags>[0][];
};
const deployment = loadManifests().find((m) => m.object.kind === "Deployment")
  ?.object as unknown as { spec: { template: { spec: PodSpec } } };
/** The Deployment's pod spec. */
export const pod = deployment.spec.template.spec;

/** Starts a container of `image` in the background, as the Deployment runs it; its ports. */
export async function start(image: string, what: string, env: Record<string, string> = {}) {
  const name = pm.containerName(what);
  const port = freePort();
  const admin = freePort();
  const all = {
    ECHOD_HOST: "127.0.0.1",
    ECHOD_PORT: String(port),
    ECHOD_METRICS_HOST: "127.0.0.1",
    ECHOD_METRICS_PORT: String(admin),
    ...env,
  };
  const container = pod.containers[0];
  if (!container) throw new Error("the Deployment has no container");
  const flags = ["--network", "host", ...pm.securityFlags(container)];
  const started = performance.now();
  await pm.podmanOk(["run", "-d", "--name", name, ...flags, ...pm.envFlags(all), image]);
  return { name, port, admin, started, pid: Number(await pm.state(name, "Pid")) };
}

/** Echoes a 4-byte probe until one comes back; the ms from `since`, the bytes echoed and connections made. */
export async function firstEcho(port: number, since: number) {
  for (let tries = 0; tries < 300; tries++) {
    try {
      const { received } = await echoOnce(port, Buffer.from("ping"));
      if (received.toString() !== "ping") throw new Error(`probe came back as ${received}`);
      return { ms: performance.now() - since, bytes: 4, connections: 1 };
    } catch (error) {
      if (!String(error).includes("ECONNREFUSED")) throw error;
      await Bun.sleep(50);
    }
  }
  throw new Error(`no echo on ${port} within 15 s`);
}

/** The daemon's "echod listening" line (logged once the workers and the admin server are up). */
export async function listening(name: string): Promise<{ workers?: number[] }> {
  for (let tries = 0; tries < 150; tries++) {
    for (const line of (await pm.logLines(name)).stdout) {
      const entry = JSON.parse(line) as { msg: string; workers?: number[] };
      if (entry.msg === "echod listening") return entry;
    }
    await Bun.sleep(100);
  }
  throw new Error(`${name}: no "echod listening" line within 15 s`);
}

/** `podman stop`, giving the drain 10 s more than it needs; its duration and the exit code. */
export async function stop(name: string, timeoutSeconds: number) {
  const result = await pm.podman(["stop", "-t", String(timeoutSeconds + 10), name], 60_000);
  expect(result.code).toBe(0);
  return { ms: result.ms, exitCode: Number(await pm.state(name, "ExitCode")) };
}

/** A Go timestamp (nanosecond fraction) in ms since the epoch. */
export function goTime(stamp: string): number {
  return Date.parse(stamp.replace(/(\.\d{3})\d*/, "$1"));
}
