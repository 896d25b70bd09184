/**
 * The image, built and run for real with podman, as Docker and Kubernetes
 * would run it: built by `npm run image` from a copy of the checkout (docker
 * format, on the stand-in base of test/deploy/base-image.sh), run as the
 * Deployment's securityContext runs it and configured only through ECHOD_*
 * variables, on the host network with free loopback ports. Skipped, with
 * the reason printed, where podman cannot run containers, except in CI (CI
 * set), where they run and fail.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import type net from "node:net";
import { jsonLine } from "../bench/helpers.ts";
import { connect, echoOnce, randomPayload, sha256 } from "../helpers/net-client.ts";
import { parseSamples, promtoolCheckMetrics, sample } from "../helpers/prom-text.ts";
import { runCommand, runEchod } from "../helpers/spawn-echod.ts";
import * as job from "./bench-job.ts";
import { firstEcho, goTime, listening, pod, start, stop } from "./container.ts";
import { finalStage, readDockerfile } from "./dockerfile-spec.ts";
import { bunProduction } from "./lockfiles.ts";
import { startPacedStream } from "./paced-stream.ts";
import * as pm from "./podman.ts";

const reason = pm.whyNoPodman();
if (reason && !process.env.CI) console.log(`container tests skipped: ${reason}`);
const suite = reason && !process.env.CI ? describe.skip : describe;

const stage = finalStage(readDockerfile());
const pkg = (await Bun.file(`${import.meta.dir}/../../package.json`).json()) as { version: string };
const IMAGE = `localhost/${pm.RUN_ID}:${pkg.version}`;
let checkout = "";

afterAll(async () => {
  await pm.removeContainers();
  if (!reason) await pm.podman(["rmi", IMAGE]);
  if (checkout) rmSync(checkout, { recursive: true, force: true });
});

suite("the image, built and run with podman", () => {
  test("builds from a clean checkout in docker format and adds at most 25 MB to its base", async () => {
    expect(reason).toBeNull();
    const base = await pm.ensureBaseImage();
    expect(base).toBe(`docker.io/${stage.image}`);
    checkout = pm.cleanCheckout();
    const build = await pm.run(["npm", "run", "--silent", "image", "--", IMAGE], {
      cwd: checkout,
      timeoutMs: 240_000,
    });
    if (build.code !== 0) throw new Error(`npm run image: ${build.stderr}`);
    const [image, baseImage] = [await pm.inspectImage(IMAGE), await pm.inspectImage(base)];
    // The docker format keeps the HEALTHCHECK (OCI drops it) and the STOPSIGNAL.
    expect(image.Healthcheck?.Test).toEqual(["CMD", ...(stage.healthcheck?.command ?? [])]);
    expect(image.Config.StopSignal).toBe("SIGTERM");
    expect(image.Config.Labels["org.opencontainers.image.version"]).toBe(pkg.version);
    const over = image.Size - baseImage.Size;
    console.log(
      `image: built in ${(build.ms / 1000).toFixed(1)} s, ${(image.Size / 1e6).toFixed(1)} MB, ` +
        `${(over / 1e6).toFixed(1)} MB over ${base}`,
    );
    // What npm run image printed: the name, the size and what it adds to the base.
    expect(build.stdout.trim()).toStartWith(
      `${IMAGE} ${(image.Size / 1e6).toFixed(1)} MB (${(over / 1e6).toFixed(1)} MB over ${base}), built with podman`,
    );
    expect(over).toBeGreaterThan(0);
    expect(over).toBeLessThanOrEqual(25e6);
    // Production dependencies only, the load harness (for bench-job.yaml), and nothing of the
    // tests, the rest of the bench or deploy/.
    const ls = await pm.podmanOk(
      [
        "run",
        "--rm",
        "--network",
        "none",
        "--entrypoint",
        "ls",
        IMAGE,
        "/app",
        "/app/node_modules",
      ],
      30_000,
    );
    const [app, modules] = ls.split("\n\n").map((block) => block.split("\n").slice(1));
    expect(app).toEqual(["bench", "node_modules", "package.json", "src"]);
    const bench = await pm.podmanOk([
      "run",
      "--rm",
      "--network",
      "none",
      "--entrypoint",
      "ls",
      IMAGE,
      "/app/bench",
    ]);
    expect(bench.split("\n")).toEqual(["harness"]);
    expect(modules).toContain("prom-client");
    for (const dev of ["bun", "typescript", "@biomejs", "fast-check", "chart.js"]) {
      expect(modules).not.toContain(dev);
    }
    // Exactly what bun.lock pins for production (which lockfiles.test.ts holds equal to package-lock.json).
    const pinned = [...bunProduction(await Bun.file(`${checkout}/bun.lock`).text())]
      .map((p) => p.split(" ")[0] ?? "")
      .sort();
    expect(await pm.installedPackages(IMAGE)).toEqual(pinned);
  }, 300_000);

  test("runs as uid 1000, read-only, without capabilities or new privileges; echoes 1 MiB, serves /metrics, /livez, /readyz; healthy until SIGSTOP", async () => {
    const c = await start(IMAGE, "serve");
    const probe = await firstEcho(c.port, c.started);
    console.log(`image: podman run to first echo ${probe.ms.toFixed(0)} ms`);
    await listening(c.name);
    const status = pm.procStatus(c.pid);
    const { runAsUser, runAsGroup } = pod.securityContext;
    expect(status.Uid?.split(/\s+/)).toEqual(Array(4).fill(String(runAsUser)));
    expect(status.Gid?.split(/\s+/)).toEqual(Array(4).fill(String(runAsGroup)));
    expect(status.CapEff).toBe("0000000000000000");
    expect(status.CapPrm).toBe("0000000000000000");
    expect(status.NoNewPrivs).toBe("1");
    expect(pm.rootMountOptions(c.pid)).toContain("ro");

    const payload = randomPayload(2 ** 20);
    const echo = await echoOnce(c.port, payload);
    expect(echo.clean).toBe(true);
    expect(sha256(echo.received)).toBe(sha256(payload));

    const text = await (await fetch(`http://127.0.0.1:${c.admin}/metrics`)).text();
    const check = await promtoolCheckMetrics(text);
    expect(check.output).toBe("");
    expect(check.code).toBe(0);
    const samples = parseSamples(text);
    expect(sample(samples, 'echod_received_bytes_total{listener="tcp"}')).toBe(
      payload.length + probe.bytes,
    );
    expect(sample(samples, 'echod_sent_bytes_total{listener="tcp"}')).toBe(
      payload.length + probe.bytes,
    );
    expect((await fetch(`http://127.0.0.1:${c.admin}/livez`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${c.admin}/readyz`)).status).toBe(200);

    const hc = (await pm.inspectImage(IMAGE)).Healthcheck;
    if (!hc) throw new Error("the image has no HEALTHCHECK");
    const timeoutMs = hc.Timeout / 1e6; // nanoseconds in the image config
    const healthy = await pm.podman(["healthcheck", "run", c.name]);
    expect(healthy.code).toBe(0);
    expect(await pm.state(c.name, "Health.Status")).toBe("healthy");
    // Failures inside the start period do not count: stop answering after it.
    const startedAt = Number(await pm.state(c.name, "StartedAt.UnixMilli"));
    await Bun.sleep(Math.max(0, startedAt + hc.StartPeriod / 1e6 - Date.now()));
    await pm.podmanOk(["kill", "--signal", "SIGSTOP", c.name]);
    const seen: string[] = [];
    for (let run = 1; run <= hc.Retries; run++) {
      const check = await pm.podman(["healthcheck", "run", c.name]);
      expect(check.code).not.toBe(0);
      // The check as podman timed and recorded it. echod's own 2 s timeout
      // normally ends it (exit 1, "unhealthy"); on a loaded machine Bun's
      // start-up can push it past --timeout, and podman kills it there (exit
      // -1 in the log). Either way it is a failure, counted, within --timeout
      // (plus podman's time to reap the killed process).
      const [entry] = JSON.parse(await pm.state(c.name, "Health.Log | json")).slice(-1);
      const ms = goTime(entry.End) - goTime(entry.Start);
      seen.push(`${ms.toFixed(0)} ms exit ${entry.ExitCode}`);
      expect(entry.ExitCode).not.toBe(0);
      expect(ms).toBeLessThan(timeoutMs + 1000);
      expect(Number(await pm.state(c.name, "Health.FailingStreak"))).toBe(run);
      const status = await pm.state(c.name, "Health.Status");
      expect(status).toBe(run < hc.Retries ? "healthy" : "unhealthy");
    }
    console.log(`image: health checks after SIGSTOP: ${seen.join(", ")}; then unhealthy`);
  }, 60_000);

  test("podman stop during a 32 MiB stream: an exact prefix comes back, then a FIN; exit 0 within the drain time", async () => {
    const shutdownTimeout = 5;
    const c = await start(IMAGE, "stop", { ECHOD_SHUTDOWN_TIMEOUT: String(shutdownTimeout) });
    await firstEcho(c.port, c.started);
    // 64 KiB every 10 ms (the 32 MiB would take over 5 s), held at 16 MiB until the FIN;
    // the stop starts once 4 MiB came back.
    const stream = await startPacedStream(c.port);
    const until = performance.now() + 15_000;
    while (stream.received() < 4 * 2 ** 20 && performance.now() < until) await Bun.sleep(10);
    const stopped = await stop(c.name, shutdownTimeout);
    const writing = !stream.holding(); // still streaming when the FIN came (not held)
    expect(await stream.ended).toBe("fin");
    await stream.closed;
    expect(stream.mismatch()).toBeNull();
    expect(stream.received()).toBeGreaterThanOrEqual(4 * 2 ** 20);
    expect(stream.received()).toBeLessThan(stream.total); // the stop came mid-stream
    expect(stream.received()).toBeLessThanOrEqual(stream.sent());
    expect(stopped.exitCode).toBe(0);
    expect(stopped.ms).toBeLessThan((shutdownTimeout + 2) * 1000);
    const { stdout, stderr } = await pm.logLines(c.name);
    expect(stderr).toEqual([]);
    const entries = stdout.map((l) => JSON.parse(l) as Record<string, unknown>);
    // podman stop sent the image's STOPSIGNAL, which echod answered with its drain.
    const signal = (await pm.inspectImage(IMAGE)).Config.StopSignal;
    expect(entries.find((e) => e.msg === "shutting down")?.signal).toBe(signal ?? "none");
    const last = entries.at(-1) ?? {};
    expect(last).toMatchObject({ msg: "echod stopped", drained: 1, cut: 0 });
    expect(last.sentBytes).toBe(stream.received() + 4); // the stream's echo and the probe's
    // Bytes that arrived after echod stopped reading are discarded, and counted.
    expect(last.receivedBytes).toBe(Number(last.sentBytes) + Number(last.discardedBytes));
    console.log(
      `image: podman stop to exit ${stopped.ms.toFixed(0)} ms, ` +
        `${(stream.received() / 2 ** 20).toFixed(1)} MiB of 32 echoed, the client ${writing ? "still writing" : "held at 16 MiB"} at the FIN`,
    );
  }, 60_000);

  test("ECHOD_WORKERS=2: both workers serve, /metrics sums them, podman stop exits 0", async () => {
    const c = await start(IMAGE, "workers", { ECHOD_WORKERS: "2" });
    const probe = await firstEcho(c.port, c.started);
    const { workers } = await listening(c.name);
    expect(workers).toHaveLength(2);
    // Which process owns each connection (ss, on the host network), as container pids.
    const sockets: net.Socket[] = [];
    for (let i = 0; i < 40; i++) sockets.push(await connect(c.port));
    await Bun.sleep(200);
    const ss = await pm.run(["ss", "-Htnp", "state", "established", `( sport = :${c.port} )`]);
    const owners = new Set(
      [...ss.stdout.matchAll(/pid=(\d+)/g)].map((m) =>
        Number(pm.procStatus(Number(m[1])).NSpid?.split(/\s+/).at(-1)),
      ),
    );
    for (const s of sockets) s.destroy();
    expect([...owners].sort()).toEqual([...(workers ?? [])].sort());

    const payloads = Array.from({ length: 30 }, (_, i) => randomPayload(5000 + i * 777));
    const echoes = await Promise.all(payloads.map((p) => echoOnce(c.port, p)));
    for (const [i, e] of echoes.entries())
      expect(sha256(e.received)).toBe(sha256(payloads[i] as Buffer));
    const total = payloads.reduce((n, p) => n + p.length, 0) + probe.bytes;
    // The primary sums what the workers last reported: scrape until the report
    // with every connection is in (at most 5 s), then compare exactly.
    const scrape = async () =>
      parseSamples(await (await fetch(`http://127.0.0.1:${c.admin}/metrics`)).text());
    const accepted = 30 + 40 + probe.connections;
    let samples = await scrape();
    for (
      const until = performance.now() + 5000;
      performance.now() < until;
      samples = await scrape()
    ) {
      if (samples.get('echod_connections_accepted_total{listener="tcp"}') === accepted) break;
      await Bun.sleep(100);
    }
    expect(sample(samples, "echod_workers")).toBe(2);
    expect(sample(samples, 'echod_received_bytes_total{listener="tcp"}')).toBe(total);
    expect(sample(samples, 'echod_sent_bytes_total{listener="tcp"}')).toBe(total);
    expect(sample(samples, 'echod_connections_accepted_total{listener="tcp"}')).toBe(accepted);
    expect((await stop(c.name, 10)).exitCode).toBe(0);
  }, 60_000);

  test("ECHOD_PORT=99999: the container exits 2 with the daemon's one-line message", async () => {
    const name = pm.containerName("bad-port");
    const result = await pm.podman(
      ["run", "--name", name, "--network", "none", "-e", "ECHOD_PORT=99999", IMAGE],
      30_000,
    );
    expect(result.code).toBe(2);
    expect(await pm.state(name, "ExitCode")).toBe("2");
    const host = await runEchod([], { ECHOD_PORT: "99999" }); // the same daemon outside the container
    expect(host.code).toBe(2);
    const { stdout, stderr } = await pm.logLines(name);
    expect(stdout).toEqual([]);
    expect(stderr).toEqual([host.stderr.trim()]);
    expect(stderr[0]).toContain('ECHOD_PORT "99999"');
  }, 60_000);
  test("deploy/kubernetes/bench-job.yaml's command runs in the image, one container per completion index, and the logs merge", async () => {
    const c = await start(IMAGE, "bench-target");
    await firstEcho(c.port, c.started);
    const startAt = new Date(Math.ceil((Date.now() + 4000) / 1000) * 1000).toISOString();
    // The Job's own arguments, made small for a shared 2-core machine, aimed at loopback.
    const local = (args: string[]) => {
      const set = (flag: string, value: string) => {
        args[args.indexOf(flag) + 1] = value;
      };
      args[0] = `127.0.0.1:${c.port}`;
      set("--connections", "8");
      set("--rate", "2000");
      set("--duration", "1");
      set("--warmup", "0");
      set("--metrics-port", "0");
      set("--metrics-host", "127.0.0.1");
      return args;
    };
    const entrypoint = JSON.stringify(job.container.command);
    const logs = await Promise.all(
      Array.from({ length: job.count }, async (_, i) => {
        const name = pm.containerName(`bench-${i}`);
        const flags = ["--network", "host", ...pm.securityFlags(job.container)];
        const args = local(job.podArgs(i, { START_AT: startAt }));
        const r = await pm.podman(
          ["run", "--name", name, ...flags, "--entrypoint", entrypoint, IMAGE, ...args],
          60_000,
        );
        expect(r.code).toBe(0);
        return r.stderr + r.stdout;
      }),
    );
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
    expect(merged.stderr).toContain(`merged ${job.count} runs`);
    expect((await stop(c.name, 10)).exitCode).toBe(0);
  }, 120_000);
});
