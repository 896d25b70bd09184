/**
 * deploy/kubernetes/bench-job.yaml, beyond its schema (kubernetes.test.ts
 * checks that): an Indexed Job whose pods each run their --slice of the load
 * against the echod Service, starting together at START_AT. Each pod's
 * arguments, with Kubernetes' $(VAR) expansion done here, parse as
 * echod-bench options whose slices add up to the Job's totals; then the
 * Job's command runs in the image as the Dockerfile assembles it, one
 * process per completion index, against a local echod, and the logs
 * (tables and JSON lines interleaved, as kubectl logs gives them) merge.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { parseBenchCli } from "../../bench/harness/options.ts";
import { resolveConfig } from "../../src/config.ts";
import { type EchoServer, startEchoServer } from "../../src/echo/server.ts";
import { jsonLine } from "../bench/helpers.ts";
import { runCommand } from "../helpers/spawn-echod.ts";
import { assembleImage, type ImageFs, runInImage } from "./image-fs.ts";
import { loadManifests } from "./manifests.ts";

// biome-ignore lint/suspicious/noExplicitAny: manifests are untyped YAML, checked by their schema elsewhere
type Any = any;

const manifests = loadManifests();
const job: Any = manifests.find((m) => m.file === "bench-job.yaml")?.object;
const deployment: Any = manifests.find((m) => m.object.kind === "Deployment")?.object;
const service: Any = manifests.find((m) => m.object.kind === "Service")?.object;
const container = job.spec.template.spec.containers[0];
const count: number = job.spec.completions;

/** The pod's arguments as Kubernetes expands them: $(NAME) from the container's environment. */
function podArgs(index: number, env: Record<string, string>): string[] {
  const vars: Record<string, string> = {
    JOB_COMPLETION_INDEX: String(index),
    ...Object.fromEntries(container.env.map((e: Any) => [e.name, e.value])),
    ...env,
  };
  return container.args.map((a: string) =>
    a.replace(/\$\((\w+)\)/g, (whole, name: string) => vars[name] ?? whole),
  );
}

describe("bench-job.yaml", () => {
  test("an Indexed Job, all pods at once, never retried, running the harness of the echod image", () => {
    expect(job.kind).toBe("Job");
    expect(job.spec.completionMode).toBe("Indexed");
    expect(job.spec.parallelism).toBe(count);
    expect(job.spec.backoffLimit).toBe(0);
    expect(job.spec.template.spec.restartPolicy).toBe("Never");
    expect(container.image).toBe(deployment.spec.template.spec.containers[0].image);
    expect(container.command).toEqual(["bun", "bench/harness/cli.ts"]);
    const echo = service.spec.ports.find((p: Any) => p.name === "echo");
    expect(container.args[0]).toBe(`${service.metadata.name}:${echo.port}`);
    expect(container.args).toContain(`$(JOB_COMPLETION_INDEX)/${count}`);
    expect(container.args).toContain("$(START_AT)");
    const port = container.args[container.args.indexOf("--metrics-port") + 1];
    expect(container.ports[0].containerPort).toBe(Number(port));
    expect(job.spec.template.metadata.annotations["prometheus.io/port"]).toBe(port);
  });

  test("each pod's arguments parse, and the slices add up to the Job's totals", () => {
    const startAt = new Date(Date.now() + 60_000).toISOString();
    const slices = Array.from({ length: count }, (_, i) => {
      const cli = parseBenchCli(podArgs(i, { START_AT: startAt }), false);
      if (cli.kind !== "run") throw new Error("expected a run");
      return cli.options;
    });
    const total = (flag: string) => Number(container.args[container.args.indexOf(flag) + 1]);
    expect(slices.reduce((t, o) => t + o.connections, 0)).toBe(total("--connections"));
    expect(slices.reduce((t, o) => t + (o.rate ?? 0), 0)).toBeCloseTo(total("--rate"), 6);
    for (const [i, o] of slices.entries()) {
      expect(o.slice).toEqual({ index: i, count });
      expect(o.startAt).toBe(Date.parse(startAt));
      expect(o.json).toBe(true);
      expect(o.progress).toBe(false);
    }
  });
});

describe("the Job's command in the image, one process per index, against a local echod", () => {
  let image: ImageFs;
  let echod: EchoServer;

  beforeAll(() => {
    image = assembleImage();
    echod = startEchoServer(resolveConfig({ port: 0, host: "127.0.0.1", metrics: false }));
  });

  afterAll(async () => {
    image?.remove();
    await echod?.stop(1);
  });

  test("every slice runs, starts at START_AT, and the collected logs merge", async () => {
    const startAt = new Date(Math.ceil((Date.now() + 3000) / 1000) * 1000).toISOString();
    // The Job's own arguments, made small for a shared 2-core machine, aimed at loopback.
    const local = (args: string[]) => {
      const set = (flag: string, value: string) => {
        args[args.indexOf(flag) + 1] = value;
      };
      args[0] = `127.0.0.1:${echod.port}`;
      set("--connections", "8");
      set("--rate", "2000");
      set("--duration", "1");
      set("--warmup", "0");
      set("--metrics-port", "0");
      set("--metrics-host", "127.0.0.1");
      return args;
    };
    const logs = await Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const proc = runInImage(
          image,
          [...container.command, ...local(podArgs(i, { START_AT: startAt }))],
          {
            timeoutMs: 30_000,
          },
        );
        const [stdout, stderr, code] = await Promise.all([
          new Response(proc.stdout).text(),
          new Response(proc.stderr).text(),
          proc.exited,
        ]);
        expect(code).toBe(0);
        return stderr + stdout;
      }),
    );
    const accepted = echod.stats.accepted;
    expect(accepted).toBeGreaterThanOrEqual(8);
    const merged = await runCommand(
      [
        "bash",
        "-c",
        'printf "%s" "$LOGS" | "$@"',
        "merge",
        process.execPath,
        "bench/harness/cli.ts",
      ].concat(["merge", "-", "-j", "--threshold", "errors==0"]),
      { LOGS: logs.join("") },
      20_000,
    );
    expect(merged.code).toBe(0);
    const r = jsonLine(merged);
    expect(r.connections).toBe(8);
    expect(r.rate).toBe(2000);
    expect(r.startAt).toBe(startAt);
    expect(r.errorsTotal).toBe(0);
    expect(r.messages.total).toBeGreaterThan(1500);
    expect(merged.stderr).toContain(`merged ${count} runs`);
  }, 60_000);
});
