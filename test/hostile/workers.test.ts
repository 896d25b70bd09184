/**
 * The worker supervisor under faults (`--workers 2`): a restart that fails
 * is retried, and after MAX_FAILED_RESTARTS in a row /livez fails; a dead
 * worker's connections and bytes stay in the books; a second SIGTERM or the
 * primary's death leaves no worker behind; SIGHUP with a bad certificate is
 * reported as a failure by the primary. Each test prints what it measured.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, writeFileSync } from "node:fs";
import type { udp } from "bun";
import { type CertDir, createCertDir, tlsListenerArgs } from "../helpers/certs.ts";
import { connect, randomPayload } from "../helpers/net-client.ts";
import type { Echod } from "../helpers/spawn-echod.ts";
import {
  alive,
  get,
  startLine,
  supervisedEchods,
  within,
  workerPid,
} from "../workers/supervision.ts";
import { metrics, type Stream, startStream, total } from "./tools.ts";

const start = supervisedEchods();

/** Binds `port` as soon as the process holding it is gone (worker 0's UDP port). */
async function takeUdpPort(port: number): Promise<udp.Socket<"buffer">> {
  const deadline = performance.now() + 2000;
  for (;;) {
    try {
      return await Bun.udpSocket({ hostname: "127.0.0.1", port });
    } catch (error) {
      if (performance.now() > deadline) throw error;
      await Bun.sleep(2);
    }
  }
}

const failedRestarts = (e: Echod) =>
  e.lines.filter((l) => l.msg === "worker restart failed" && l.worker === 0).length;

describe("a worker restart that fails", () => {
  test("is retried with backoff while the UDP port is taken for 2 s; the worker comes back and /livez stays 200", async () => {
    const echod = await start(["--udp-port", "0"]);
    const udpPort = Number(startLine(echod).listeners.udp?.split(":").pop());
    process.kill(workerPid(echod, 0), "SIGKILL");
    const blocker = await takeUdpPort(udpPort);
    const takenAt = performance.now();
    const livez: number[] = [];
    let duringWorkers = Number.NaN;
    let duringReady = 0;
    while (performance.now() - takenAt < 2000) {
      livez.push((await get(echod.admin, "/livez")).status);
      duringWorkers = total(await metrics(echod.admin), "echod_workers");
      duringReady = (await get(echod.admin, "/readyz")).status;
      await Bun.sleep(100);
    }
    const failed = failedRestarts(echod);
    blocker.close();
    await echod.waitForLine((l) => l.msg === "worker restarted" && l.worker === 0, 10_000);
    const backAfter = Math.round(performance.now() - takenAt);
    const s = await metrics(echod.admin);
    console.log(
      `UDP port taken 2000 ms: ${failed} failed restarts, worker 0 back ${backAfter} ms after the port was taken; /livez ${[...new Set(livez)].join("/")} in ${livez.length} probes; echod_workers ${duringWorkers} while down, ${total(s, "echod_workers")} after`,
    );
    expect(failed).toBeGreaterThanOrEqual(1);
    expect(duringWorkers).toBe(1);
    expect(duringReady).toBe(503);
    expect(new Set(livez)).toEqual(new Set([200]));
    expect(total(s, "echod_workers")).toBe(2);
    expect(total(s, "echod_worker_restart_failures_total")).toBe(failed);
    expect((await get(echod.admin, "/readyz")).status).toBe(200);
    // Worker 0 serves UDP on the same port again.
    let echoed = "";
    const client = await Bun.udpSocket({
      socket: {
        data(socket, data) {
          echoed = data.toString();
          socket.close();
        },
      },
    });
    client.send("udp again", udpPort, "127.0.0.1");
    expect(await within(2000, () => echoed === "udp again")).not.toBeNull();
  }, 30_000);

  test("5 times in a row turns /livez to 503 naming the worker; retries go on, and /livez is 200 once one succeeds", async () => {
    const echod = await start(["--udp-port", "0"]);
    const udpPort = Number(startLine(echod).listeners.udp?.split(":").pop());
    process.kill(workerPid(echod, 0), "SIGKILL");
    const blocker = await takeUdpPort(udpPort);
    let livez = { status: 0, body: "" };
    const failedAfter = await within(15_000, async () => {
      livez = await get(echod.admin, "/livez");
      return livez.status === 503;
    });
    const s = await metrics(echod.admin);
    const failed = failedRestarts(echod);
    blocker.close();
    const liveAgainAfter = await within(10_000, async () => {
      return (await get(echod.admin, "/livez")).status === 200;
    });
    console.log(
      `UDP port held: /livez 503 after ${failedAfter} ms and ${failed} failed restarts, body ${JSON.stringify(livez.body.trim())}; 200 again ${liveAgainAfter} ms after the port was freed`,
    );
    expect(failedAfter).not.toBeNull();
    expect(livez.body).toContain("worker 0");
    expect(failed).toBe(5);
    expect(total(s, "echod_worker_restart_failures_total")).toBe(5);
    expect(total(s, "echod_workers")).toBe(1);
    expect(liveAgainAfter).not.toBeNull();
    expect(
      await within(2000, async () => total(await metrics(echod.admin), "echod_workers") === 2),
    ).not.toBeNull();
    expect((await get(echod.admin, "/readyz")).status).toBe(200);
  }, 40_000);
});

/** The sums a scrape must balance, per listener; returns a one-line description. */
function balance(s: Map<string, number>) {
  const tcp = { listener: "tcp" };
  const accepted = total(s, "echod_connections_accepted_total", tcp);
  const active = total(s, "echod_connections_active", tcp);
  const closed = total(s, "echod_connections_closed_total", tcp);
  const received = total(s, "echod_received_bytes_total", tcp);
  const accounted =
    total(s, "echod_sent_bytes_total", tcp) +
    total(s, "echod_discarded_bytes_total", tcp) +
    total(s, "echod_buffered_bytes", tcp);
  return { accepted, active, closed, received, accounted };
}

test("with 20 clients streaming, 3 kill -9s of a worker keep accepted = active + closed and received = sent + discarded + buffered", async () => {
  const echod = await start([]);
  let streams: Stream[] = [];
  const topUp = async () => {
    streams = streams.filter((s) => !s.socket.destroyed);
    while (streams.length < 20) streams.push(await startStream(echod.port));
  };
  await topUp();
  const scrapes: ReturnType<typeof balance>[] = [];
  const check = async () => scrapes.push(balance(await metrics(echod.admin)));
  let cut = 0;
  for (let round = 0; round < 3; round++) {
    await Bun.sleep(400);
    await check();
    const victim = workerPid(echod, round % 2);
    const before = streams.length;
    process.kill(victim, "SIGKILL");
    expect(await within(2000, () => !alive(victim))).not.toBeNull();
    await check();
    await echod.waitForLine(
      () => echod.lines.filter((l) => l.msg === "worker restarted").length === round + 1,
      5000,
    );
    await check();
    await Bun.sleep(100);
    cut += before - streams.filter((s) => !s.socket.destroyed).length;
    await topUp();
    await check();
  }
  for (const s of streams) s.socket.destroy();
  const settled = await within(3000, async () => {
    const b = balance(await metrics(echod.admin));
    return b.active === 0;
  });
  const s = await metrics(echod.admin);
  await check();
  const died = total(s, "echod_connections_closed_total", { reason: "worker_died" });
  const unbalanced = scrapes.filter(
    (b) => b.accepted !== b.active + b.closed || b.received !== b.accounted,
  );
  const last = scrapes[scrapes.length - 1] as ReturnType<typeof balance>;
  console.log(
    `3 kills under 20 streams: ${scrapes.length} scrapes, ${unbalanced.length} unbalanced; last: accepted ${last.accepted} = active ${last.active} + closed ${last.closed} (worker_died ${died}, ${cut} clients cut), received ${last.received} = sent+discarded+buffered ${last.accounted}; idle after ${settled} ms`,
  );
  expect(unbalanced).toEqual([]);
  expect(died).toBeGreaterThan(0);
  expect(died).toBeLessThanOrEqual(cut);
}, 40_000);

describe("the primary going away", () => {
  /** A client that sends 8 MiB and never reads: with --max-buffer 64KiB it keeps a drain busy. */
  async function stuckClient(port: number) {
    const socket = await connect(port);
    socket.on("error", () => {});
    socket.pause();
    socket.write(randomPayload(8 * 1024 * 1024));
    await Bun.sleep(300);
    return socket;
  }

  test("a second SIGTERM during the drain takes every worker down with the primary", async () => {
    const echod = await start(["--max-buffer", "64KiB", "--shutdown-timeout", "20"]);
    const pids = startLine(echod).workers;
    const socket = await stuckClient(echod.port);
    echod.kill("SIGTERM");
    await echod.waitForLine((l) => l.msg === "shutting down");
    echod.kill("SIGTERM");
    expect(await echod.exited).toBe(1);
    const gone = await within(1000, () => pids.every((pid) => !alive(pid)));
    console.log(
      `second SIGTERM: primary exited 1; workers ${pids.join(", ")} gone ${gone} ms after (drain had 20 s left)`,
    );
    expect(gone).not.toBeNull();
    socket.destroy();
  }, 20_000);

  test("workers whose primary is SIGKILLed drain and exit by themselves within --shutdown-timeout", async () => {
    const echod = await start(["--max-buffer", "64KiB", "--shutdown-timeout", "2"]);
    const pids = startLine(echod).workers;
    const socket = await stuckClient(echod.port);
    echod.kill("SIGKILL");
    await echod.exited;
    const gone = await within(5000, () => pids.every((pid) => !alive(pid)));
    console.log(`primary SIGKILLed: workers ${pids.join(", ")} gone after ${gone} ms`);
    expect(gone).not.toBeNull();
    socket.destroy();
  }, 20_000);
});

describe("SIGHUP under --workers", () => {
  let certs: CertDir;
  beforeAll(() => {
    certs = createCertDir();
    certs.issue("one", "echod one", 1001, "server");
    copyFileSync(certs.path("one.crt"), certs.path("live.crt"));
    copyFileSync(certs.path("one.key"), certs.path("live.key"));
  });
  afterAll(() => certs.remove());

  test("with a bad certificate, the primary logs the failure naming the file and the workers, not 'reloaded'", async () => {
    const echod = await start(tlsListenerArgs(certs));
    writeFileSync(certs.path("live.crt"), "not a certificate\n");
    echod.kill("SIGHUP");
    const primary = echod.proc.pid;
    const failed = await echod.waitForLine(
      (l) => l.pid === primary && l.msg === "tls reload failed; keeping the old certificate",
      5000,
    );
    await Bun.sleep(200);
    const reloaded = echod.lines.filter((l) => l.msg === "tls certificate reloaded").length;
    console.log(
      `SIGHUP with a bad certificate: primary logged ${JSON.stringify(failed.err)}; "tls certificate reloaded" lines: ${reloaded}`,
    );
    expect(String(failed.err)).toContain(certs.path("live.crt"));
    expect(String(failed.err)).toContain("(worker 0, 1)");
    expect(failed.level).toBe(50);
    expect(reloaded).toBe(0);
  }, 20_000);
});
