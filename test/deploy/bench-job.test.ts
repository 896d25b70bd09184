/**
 * deploy/kubernetes/bench-job.yaml, beyond its schema (kubernetes.test.ts
 * checks that): an Indexed Job whose pods each run their --slice of the load
 * against the echod Service, starting together at START_AT. Each pod's
 * arguments, with Kubernetes' $(VAR) expansion done here, parse as
 * echod-bench options whose slices add up to the Job's totals. The Job's
 * command runs in the real image, one container per completion index, in
 * image.test.ts.
 */
import { describe, expect, test } from "bun:test";
import { parseBenchCli } from "../../bench/harness/options.ts";
import { container, count, deployment, job, podArgs, service } from "./bench-job.ts";

// biome-ignore lint/suspicious/noExplicitAny: manifests are untyped YAML, checked by their schema elsewhere
type Any = any;

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
