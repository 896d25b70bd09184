/**
 * The image's commands, run as the container would run them: the files the
 * final stage copies (through .dockerignore, production node_modules only),
 * laid out read-only; ENTRYPOINT + CMD and the HEALTHCHECK command taken from
 * the parsed Dockerfile; the image's ENV; its WORKDIR; its USER's uid. Only
 * the ports differ, moved to free ones through ECHOD_* variables as
 * `docker run -e` would, and both listeners bound to loopback.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import net from "node:net";
import { freePort } from "../../bench/common/ports.ts";
import { echoOnce, randomPayload, sha256 } from "../helpers/net-client.ts";
import { assembleImage, type ImageFs, runInImage } from "./image-fs.ts";

let image: ImageFs;
const children: { kill(signal?: number | NodeJS.Signals): void }[] = [];

beforeAll(() => {
  image = assembleImage();
});

afterAll(() => {
  for (const child of children) child.kill("SIGKILL");
  image?.remove();
});

function healthcheckTimeoutMs(): number {
  const timeout = image.stage.healthcheck?.flags.timeout ?? "";
  const match = /^(\d+)s$/.exec(timeout);
  if (!match) throw new Error(`HEALTHCHECK --timeout ${timeout}: expected whole seconds`);
  return Number(match[1]) * 1000;
}

/** Runs the HEALTHCHECK command once, killed after --timeout as Docker would; exit code and time. */
async function healthcheck(env: Record<string, string>): Promise<{ code: number; ms: number }> {
  const started = performance.now();
  const proc = runInImage(image, image.stage.healthcheck?.command ?? [], {
    env,
    timeoutMs: healthcheckTimeoutMs(),
  });
  const code = await proc.exited;
  return { code, ms: performance.now() - started };
}

describe("the image's entrypoint and healthcheck, run as the container runs them", () => {
  test("the daemon echoes and is live; the healthcheck passes, then fails once SIGTERM stopped it", async () => {
    const env = {
      ECHOD_PORT: String(freePort()),
      ECHOD_METRICS_PORT: String(freePort()),
      ECHOD_HOST: "127.0.0.1",
      ECHOD_METRICS_HOST: "127.0.0.1",
    };
    const argv = [...(image.stage.entrypoint ?? []), ...(image.stage.cmd ?? [])];
    const daemon = runInImage(image, argv, { env });
    children.push(daemon);
    let out = "";
    const listening = (async () => {
      for await (const chunk of daemon.stdout) {
        out += new TextDecoder().decode(chunk);
        if (out.includes('"msg":"echod listening"')) return true;
      }
      return false;
    })();
    const started = await Promise.race([listening, Bun.sleep(15_000).then(() => false)]);
    if (!started)
      throw new Error(`echod did not start: ${await new Response(daemon.stderr).text()}`);

    if (process.getuid?.() === 0) {
      // Running as root, the runner switched to the image's USER: bun, uid 1000.
      const status = readFileSync(`/proc/${daemon.pid}/status`, "utf8");
      expect(/^Uid:\s+(\d+)/m.exec(status)?.[1]).toBe("1000");
    }

    const payload = randomPayload(256 * 1024);
    const { received, clean } = await echoOnce(Number(env.ECHOD_PORT), payload);
    expect(clean).toBe(true);
    expect(sha256(received)).toBe(sha256(payload));

    const livez = await fetch(`http://127.0.0.1:${env.ECHOD_METRICS_PORT}/livez`);
    expect(livez.status).toBe(200);
    expect((await healthcheck(env)).code).toBe(0);

    daemon.kill("SIGTERM");
    expect(await daemon.exited).toBe(0);
    expect(out).not.toContain('"level":50'); // no error lines (e.g. a write to the read-only tree)
    const after = await healthcheck(env);
    expect(after.code).toBe(1);
    expect(after.ms).toBeLessThan(healthcheckTimeoutMs());
  });

  test("the healthcheck fails within HEALTHCHECK --timeout when the admin port accepts but never answers", async () => {
    // A stuck daemon: the port is open, nothing replies. Docker would kill the check at
    // --timeout and count a failure either way; echod's own timeout must fire first.
    const sockets: net.Socket[] = [];
    const stuck = net.createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => stuck.listen(0, "127.0.0.1", resolve));
    try {
      const port = (stuck.address() as net.AddressInfo).port;
      const result = await healthcheck({ ECHOD_METRICS_PORT: String(port) });
      expect(result.code).toBe(1);
      expect(result.ms).toBeLessThan(healthcheckTimeoutMs());
      expect(sockets.length).toBeGreaterThan(0); // it did reach the stuck port
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => stuck.close(resolve));
    }
  });

  test("the image holds no dev dependency and no test, bench or deploy file", () => {
    const app = image.hostPath(".");
    expect(readdirSync(app).sort()).toEqual(["node_modules", "package.json", "src"]);
    for (const dev of ["bun", "typescript", "@biomejs", "fast-check", "ajv", "dockerfile-ast"]) {
      expect(existsSync(`${app}/node_modules/${dev}`)).toBe(false);
    }
    expect(existsSync(`${app}/node_modules/prom-client`)).toBe(true);
    // --faults FILE reads YAML at run time.
    expect(existsSync(`${app}/node_modules/yaml`)).toBe(true);
  });
});
