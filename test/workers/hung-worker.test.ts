/**
 * A worker that stops answering (SIGSTOP) under `--workers 2`: the primary
 * notices from the missing heartbeats, reports it in /readyz and
 * `echod_workers` and stops waiting for it at scrapes; it is healthy again
 * if it resumes, and killed and restarted if it stays hung for 10 s
 * (HUNG_KILL_AFTER_MS). Each test prints what it measured.
 */
import { expect, test } from "bun:test";
import { HEARTBEAT_MS, HUNG_KILL_AFTER_MS } from "../../src/workers/health.ts";
import { metrics, total } from "../hostile/tools.ts";
import { alive, get, supervisedEchods, within, workerPid } from "./supervision.ts";

const start = supervisedEchods();

test("a SIGSTOPped worker turns /readyz 503 and echod_workers 1 within seconds, scrapes stay fast, and SIGCONT makes it healthy again", async () => {
  const echod = await start([]);
  const victim = workerPid(echod, 1);
  process.kill(victim, "SIGSTOP");
  try {
    const notReady = await within(
      6000,
      async () => (await get(echod.admin, "/readyz")).status === 503,
    );
    const times: number[] = [];
    let workers = Number.NaN;
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      workers = total(await metrics(echod.admin), "echod_workers");
      times.push(performance.now() - started);
    }
    expect(notReady).not.toBeNull();
    // Logged once per change, at the monitor's next round (every 500 ms).
    await echod.waitForLine((l) => l.msg === "worker not answering; counted as not running", 2000);
    process.kill(victim, "SIGCONT");
    const healthyAgain = await within(4000, async () => {
      const ready = (await get(echod.admin, "/readyz")).status === 200;
      return ready && total(await metrics(echod.admin), "echod_workers") === 2;
    });
    const slowest = Math.max(...times);
    console.log(
      `SIGSTOP: /readyz 503 after ${notReady} ms, echod_workers ${workers}, slowest of 5 scrapes ${slowest.toFixed(1)} ms; SIGCONT: healthy again after ${healthyAgain} ms`,
    );
    expect(workers).toBe(1);
    expect(slowest).toBeLessThan(100);
    expect(healthyAgain).not.toBeNull();
    expect(alive(victim)).toBe(true);
    await echod.waitForLine((l) => l.msg === "worker answering again" && l.worker === 1, 2000);
  } finally {
    process.kill(victim, "SIGCONT");
  }
}, 30_000);

test("a worker hung for 10 s is killed with SIGKILL and restarted", async () => {
  const echod = await start([]);
  const victim = workerPid(echod, 1);
  const stoppedAt = performance.now();
  process.kill(victim, "SIGSTOP");
  await echod.waitForLine((l) => l.msg === "worker hung; killing it" && l.worker === 1, 15_000);
  const killedAfter = Math.round(performance.now() - stoppedAt);
  await echod.waitForLine((l) => l.msg === "worker restarted" && l.worker === 1, 5000);
  const successor = workerPid(echod, 1);
  const healthy = await within(3000, async () => {
    const ready = (await get(echod.admin, "/readyz")).status === 200;
    return ready && total(await metrics(echod.admin), "echod_workers") === 2;
  });
  console.log(
    `SIGSTOP for good: killed ${killedAfter} ms after the stop, pid ${victim} -> ${successor}, healthy ${healthy} ms after the restart`,
  );
  // 10 s after the last heartbeat, which came at most one interval before the stop.
  expect(killedAfter).toBeGreaterThanOrEqual(HUNG_KILL_AFTER_MS - HEARTBEAT_MS);
  expect(alive(victim)).toBe(false);
  expect(successor).not.toBe(victim);
  expect(healthy).not.toBeNull();
}, 30_000);
