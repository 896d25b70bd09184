/**
 * echod-bench knows when it is the limit: each worker thread measures its
 * own CPU (and run-queue wait) over the measured load, and a run in which a
 * worker was busy for 90% of it is marked harness-bound, in `--json` and in
 * the tables. A deliberately slowed harness (one worker, ping-pong on 2000
 * connections against the C epoll server, or echod where no compiler
 * exists) is marked; a light open-loop run is not.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { resolve } from "node:path";
import { type RunningServer, startServer } from "../../../bench/compare/servers.ts";
import { isHarnessBound, readThreadClock, threadBusySince } from "../../../bench/harness/cpu.ts";
import { type Echod, LOOPBACK, spawnEchod } from "../../helpers/spawn-echod.ts";
import { expectSchema, jsonLine, ROOT, runBench } from "../helpers.ts";

describe("thread clocks", () => {
  test("a thread that spins is busy; one that sleeps is not", async () => {
    const spinStart = readThreadClock();
    const t0 = performance.now();
    while (performance.now() - t0 < 200) {}
    const spin = threadBusySince(spinStart, performance.now() - t0);
    // Running or ready to run the whole time, however loaded the machine is.
    expect(spin.cpu + (spin.waiting ?? 0)).toBeGreaterThanOrEqual(0.9);
    expect(spin.cpu).toBeGreaterThan(0.2);

    const sleepStart = readThreadClock();
    const t1 = performance.now();
    await Bun.sleep(200);
    const sleep = threadBusySince(sleepStart, performance.now() - t1);
    expect(sleep.cpu).toBeLessThan(0.2);
    expect(isHarnessBound([sleep])).toBe(false);
    expect(isHarnessBound([sleep, spin])).toBe(true);
  });

  test("each thread reads its own clock: a spinning Worker is busy while the main thread sleeps", async () => {
    const dir = mkdtempSync(resolve(tmpdir(), "echod-thread-clock-"));
    try {
      const file = resolve(dir, "spin.ts");
      writeFileSync(
        file,
        `import { readThreadClock, threadBusySince } from ${JSON.stringify(resolve(ROOT, "bench/harness/cpu.ts"))};
        declare const self: Worker;
        self.onmessage = () => {
          const start = readThreadClock();
          const t0 = performance.now();
          while (performance.now() - t0 < 300) {}
          self.postMessage(threadBusySince(start, performance.now() - t0));
        };`,
      );
      const worker = new Worker(file);
      const mainStart = readThreadClock();
      const t0 = performance.now();
      const spun = new Promise<{ cpu: number; waiting: number | null }>((done) => {
        worker.onmessage = (e) => done(e.data);
      });
      worker.postMessage("go");
      const spinning = await spun;
      const main = threadBusySince(mainStart, performance.now() - t0);
      worker.terminate();
      expect(spinning.cpu + (spinning.waiting ?? 0)).toBeGreaterThanOrEqual(0.9);
      // The main thread only waited: the Worker's 300 ms of CPU are not in its clock.
      expect(main.cpu).toBeLessThan(0.3);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("the mark is 90% of a core, CPU and run-queue wait together", () => {
    expect(isHarnessBound([{ cpu: 0.89, waiting: null }])).toBe(false);
    expect(isHarnessBound([{ cpu: 0.9, waiting: null }])).toBe(true);
    expect(isHarnessBound([{ cpu: 0.5, waiting: 0.39 }])).toBe(false);
    expect(isHarnessBound([{ cpu: 0.5, waiting: 0.4 }])).toBe(true);
  });
});

describe("echod-bench marks the runs in which it was the limit", () => {
  let c: RunningServer | null = null;
  let echod: Echod | null = null;
  let port = 0;
  const out = mkdtempSync(resolve(tmpdir(), "echod-harness-bound-"));

  beforeAll(async () => {
    const cc = Bun.which("cc") ?? Bun.which("gcc");
    const bin = resolve(out, "epoll-echo");
    const built =
      cc !== null &&
      Bun.spawnSync([cc, "-O2", "-o", bin, resolve(ROOT, "bench/baselines/epoll-echo.c")])
        .exitCode === 0;
    if (built) {
      c = await startServer(
        { name: "c-epoll", command: [bin, "0"], hostFlag: null, metricsPort: null },
        null,
      );
      port = c.port;
    } else {
      echod = await spawnEchod(LOOPBACK);
      port = echod.port;
    }
  });

  afterAll(async () => {
    await c?.stop();
    echod?.proc.kill("SIGKILL");
    rmSync(out, { recursive: true, force: true });
  });

  test("one worker, ping-pong on 2000 connections: harness-bound, in the JSON and the tables", async () => {
    // The warmup keeps the 2000 connects (time spent waiting, not working) out of the measured window.
    const run = await runBench(
      [`127.0.0.1:${port}`, "-c", "2000", "-p", "1", "-d", "2", "--warmup", "1", "-j"],
      40_000,
    );
    expect(run.code).toBe(0);
    const r = jsonLine(run);
    expectSchema(r);
    expect(r.messages.total).toBeGreaterThan(0);
    expect(r.workerCpu.length).toBe(1);
    const busy = (r.workerCpu[0] as number) + (r.workerWaiting[0] ?? 0);
    expect(busy).toBeGreaterThanOrEqual(0.9);
    expect(r.harnessBound).toBe(true);
    expect(run.stderr).toMatch(/Harness CPU per worker: \d+% of a core.*HARNESS-BOUND/);
  }, 60_000);

  test("two connections at 200 msg/s: not harness-bound", async () => {
    const run = await runBench([`127.0.0.1:${port}`, "-c", "2", "-R", "200", "-d", "1", "-j"]);
    expect(run.code).toBe(0);
    const r = jsonLine(run);
    expectSchema(r);
    expect(r.messages.total).toBeGreaterThan(100);
    expect(r.workerCpu[0] as number).toBeLessThan(0.5);
    expect(r.harnessBound).toBe(false);
    expect(run.stderr).toMatch(/Harness CPU per worker: \d+% of a core.*; not harness-bound/);
  });

  test("with --workers 2, one CPU figure per worker thread, light: not harness-bound", async () => {
    const run = await runBench([
      `127.0.0.1:${port}`,
      "-c",
      "4",
      "-R",
      "400",
      "-d",
      "1",
      "-w",
      "2",
      "-j",
    ]);
    expect(run.code).toBe(0);
    const r = jsonLine(run);
    expectSchema(r);
    expect(r.workerCpu.length).toBe(2);
    expect(r.harnessBound).toBe(false);
  });
});
