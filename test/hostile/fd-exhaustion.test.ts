/**
 * Descriptor exhaustion. First echod started under `ulimit -n 200` (soft and
 * hard), then 300 clients, more than it has descriptors for. It must lower
 * its connection limit to 200 - 64 = 136, turn the rest away with reason
 * fd_limit (logged and counted), keep its admin port answering, not spin
 * (Bun busy-loops on EMFILE), and serve again once the clients leave.
 *
 * Then the way the bug was found: `prlimit --pid PID --nofile=128:128` on an
 * echod that is already running, and 300 clients. echod used to keep its
 * start-up limit, run into EMFILE and (in some runs) exit 1 without a word;
 * now it follows the new limit within a second. Repeated, since the exit
 * came in only some runs. Last, clients that arrive before echod has seen
 * the new limit: it runs out of descriptors for real, and must live through
 * it (in workers too) and serve with the new limit once they leave.
 */
import { expect, test } from "bun:test";
import type net from "node:net";
import { connect, echoOnce, randomPayload, sha256, waitFor } from "../helpers/net-client.ts";
import {
  type Echod,
  killedAfterEach,
  LOOPBACK_WITH_ADMIN,
  spawnEchod,
} from "../helpers/spawn-echod.ts";
import { cpuSeconds, metrics, total } from "./tools.ts";

const LIMIT = 200;
const CLIENTS = 300;
const EFFECTIVE = LIMIT - 64;

const running = killedAfterEach();

test(`under ulimit -n ${LIMIT}, ${CLIENTS} clients: ${EFFECTIVE} served, ${CLIENTS - EFFECTIVE} turned away with reason fd_limit, admin answers, echod serves again after`, async () => {
  const echod = await spawnEchod(LOOPBACK_WITH_ADMIN, {
    prefix: ["bash", "-c", `ulimit -n ${LIMIT} && exec "$@"`, "bash"],
  });
  running.push(echod);
  const admin = echod.metricsPort as number;
  const warned = echod.lines.find((l) => l.effective !== undefined);
  expect(warned).toMatchObject({ openFilesLimit: LIMIT, effective: EFFECTIVE, level: 40 });

  const clients: net.Socket[] = [];
  const turnedAway: Promise<void>[] = [];
  for (let i = 0; i < CLIENTS; i++) {
    const socket = await connect(echod.port);
    socket.on("error", () => {});
    clients.push(socket);
    turnedAway.push(new Promise((r) => socket.once("end", () => r())));
  }
  // The turned-away ones get a FIN at once; the others stay open.
  const ended = await Promise.race([
    Promise.all(turnedAway.slice(EFFECTIVE)).then(() => true),
    Bun.sleep(10_000).then(() => false),
  ]);
  expect(ended).toBe(true);

  const m = await metrics(admin);
  expect(total(m, "echod_max_connections")).toBe(EFFECTIVE);
  expect(total(m, "echod_connections_active")).toBe(EFFECTIVE);
  expect(total(m, "echod_connections_rejected_total", { reason: "fd_limit" })).toBe(
    CLIENTS - EFFECTIVE,
  );
  expect(total(m, "echod_connections_rejected_total", { reason: "max_connections" })).toBe(0);
  const logged = await echod.waitForLine(
    (l) => l.msg === "connections rejected" && l.reason === "fd_limit",
    3000,
  );
  expect(logged.maxConnections).toBe(EFFECTIVE);
  // Logs are rate-limited to a line a second (the last burst is logged by the
  // next 1 s sweep tick, so within 2 s): every rejection is in some line.
  const rejectLines = () => echod.lines.filter((l) => l.msg === "connections rejected");
  const inLogs = () => rejectLines().reduce((n, l) => n + Number(l.rejected), 0);
  await waitFor(() => inLogs() === CLIENTS - EFFECTIVE, 3000);
  const lines = rejectLines();
  expect(inLogs()).toBe(CLIENTS - EFFECTIVE);
  expect(lines.length).toBeLessThan(10);

  // Not spinning: over one idle second, echod uses well under a second of CPU.
  const cpu0 = cpuSeconds(echod.proc.pid);
  await Bun.sleep(1000);
  const spent = cpuSeconds(echod.proc.pid) - cpu0;
  expect(spent).toBeLessThan(0.5);
  expect((await fetch(`http://127.0.0.1:${admin}/livez`)).status).toBe(200);

  // The served ones still echo.
  const first = clients[0] as net.Socket;
  const got = new Promise<string>((r) => first.once("data", (d: Buffer) => r(d.toString())));
  first.write("still served");
  expect(await got).toBe("still served");

  for (const c of clients) c.destroy();
  const payload = randomPayload(1024 * 1024);
  let after = await metrics(admin);
  for (let i = 0; i < 50 && total(after, "echod_connections_active") !== 0; i++) {
    await Bun.sleep(100);
    after = await metrics(admin);
  }
  expect(total(after, "echod_connections_active")).toBe(0);
  const again = await Promise.all(
    Array.from({ length: EFFECTIVE }, () => echoOnce(echod.port, payload)),
  );
  for (const r of again) expect(sha256(r.received)).toBe(sha256(payload));
  console.log(
    `fd exhaustion: limit ${LIMIT}, ${EFFECTIVE} served, ${CLIENTS - EFFECTIVE} rejected (fd_limit) in ${lines.length} log lines, ` +
      `${spent.toFixed(2)} s CPU over 1 s idle; ${EFFECTIVE} clients served again after`,
  );
  expect(echod.proc.exitCode).toBeNull();
}, 60_000);

const LOWERED = 128;
const LOWERED_EFFECTIVE = LOWERED - 64;
const PRLIMIT_RUNS = 6;
const FOLLOWS = "the open-files limit changed; connection limit follows it";
const NO_FD_FREE = "no file descriptor free: new connections wait in the backlog until one is";

/** Lowers the open-files limit (soft and hard) of a running process, as an operator would. */
function lowerLimit(pid: number, limit: number): void {
  const result = Bun.spawnSync(["prlimit", "--pid", String(pid), `--nofile=${limit}:${limit}`]);
  if (result.exitCode !== 0) throw new Error(`prlimit failed: ${result.stderr.toString()}`);
}

interface Crowd {
  readonly sockets: net.Socket[];
  /** Clients that got echod's FIN (turned away) so far. */
  ended(): number;
  leave(): void;
}

/** `n` clients that connect and stay; the kernel completes each handshake even when echod cannot accept. */
async function crowd(port: number, n: number): Promise<Crowd> {
  const sockets: net.Socket[] = [];
  let ended = 0;
  for (let i = 0; i < n; i++) {
    const socket = await connect(port);
    socket.on("error", () => {});
    socket.once("end", () => ended++);
    sockets.push(socket);
  }
  return {
    sockets,
    ended: () => ended,
    leave: () => {
      for (const s of sockets) s.destroy();
    },
  };
}

/**
 * 300 clients against an echod whose limit is LOWERED: LOWERED_EFFECTIVE
 * served, the rest turned away (counted, logged), admin answers; once they
 * leave, as many are served again. Returns a figure for the log.
 */
async function servesUnderLoweredLimit(echod: Echod, rejectedBefore = 0): Promise<string> {
  const admin = echod.metricsPort as number;
  const turnedAway = CLIENTS - LOWERED_EFFECTIVE;
  const clients = await crowd(echod.port, CLIENTS);
  expect(await waitFor(() => clients.ended() === turnedAway, 10_000)).toBe(true);
  const m = await metrics(admin);
  expect(total(m, "echod_max_connections")).toBe(LOWERED_EFFECTIVE);
  expect(total(m, "echod_connections_active")).toBe(LOWERED_EFFECTIVE);
  expect(total(m, "echod_connections_rejected_total", { reason: "fd_limit" })).toBe(
    rejectedBefore + turnedAway,
  );
  expect(total(m, "echod_internal_errors_total")).toBe(0);
  expect((await fetch(`http://127.0.0.1:${admin}/livez`)).status).toBe(200);
  // Every rejection is in some rate-limited line (the last within the next 1 s tick).
  const rejectLines = () => echod.lines.filter((l) => l.msg === "connections rejected");
  const inLogs = () => rejectLines().reduce((n, l) => n + Number(l.rejected), 0);
  await waitFor(() => inLogs() === rejectedBefore + turnedAway, 3000);
  expect(inLogs()).toBe(rejectedBefore + turnedAway);
  clients.leave();
  let after = await metrics(admin);
  for (let i = 0; i < 50 && total(after, "echod_connections_active") !== 0; i++) {
    await Bun.sleep(100);
    after = await metrics(admin);
  }
  expect(total(after, "echod_connections_active")).toBe(0);
  const payload = randomPayload(64 * 1024);
  const again = await Promise.all(
    Array.from({ length: LOWERED_EFFECTIVE }, () => echoOnce(echod.port, payload)),
  );
  for (const r of again) expect(sha256(r.received)).toBe(sha256(payload));
  expect(echod.proc.exitCode).toBeNull();
  return `${LOWERED_EFFECTIVE} served, ${turnedAway} rejected (fd_limit) in ${rejectLines().length} log lines, ${LOWERED_EFFECTIVE} served again`;
}

for (let run = 1; run <= PRLIMIT_RUNS; run++) {
  test(`prlimit --nofile=${LOWERED} on a running echod, then ${CLIENTS} clients (run ${run}/${PRLIMIT_RUNS}): the limit follows, echod lives, rejects, counts, serves again`, async () => {
    const echod = await spawnEchod(LOOPBACK_WITH_ADMIN);
    running.push(echod);
    const lowered = performance.now();
    lowerLimit(echod.proc.pid, LOWERED);
    const noticed = await echod.waitForLine((l) => l.msg === FOLLOWS, 3000);
    const noticedMs = performance.now() - lowered;
    expect(noticed).toMatchObject({ openFilesLimit: LOWERED, effective: LOWERED_EFFECTIVE });
    const figure = await servesUnderLoweredLimit(echod);
    console.log(`prlimit run ${run}: new limit seen after ${noticedMs.toFixed(0)} ms; ${figure}`);
  }, 30_000);
}

/**
 * Clients that arrive before echod has read the new limit: it accepts until
 * no descriptor is left (EMFILE), and must say so, live through it and, once
 * they leave, serve with the new limit.
 */
async function outlivesExhaustion(echod: Echod): Promise<string> {
  lowerLimit(echod.proc.pid, LOWERED);
  const first = await crowd(echod.port, CLIENTS);
  await echod.waitForLine((l) => l.msg === NO_FD_FREE, 3000);
  // Even with no descriptor free, echod reads the new limit (through its spare descriptor).
  const seen = await echod.waitForLine((l) => l.msg === FOLLOWS, 1000);
  expect(seen).toMatchObject({ openFilesLimit: LOWERED, effective: LOWERED_EFFECTIVE });
  // Through more sweep ticks at EMFILE.
  await Bun.sleep(1500);
  expect(echod.proc.exitCode).toBeNull();
  first.leave();
  // Clients left in the backlog are accepted (and, past the limit, rejected) as they go.
  await Bun.sleep(1500);
  const m = await metrics(echod.metricsPort as number);
  expect(total(m, "echod_internal_errors_total")).toBe(0);
  const before = total(m, "echod_connections_rejected_total", { reason: "fd_limit" });
  return `lived through EMFILE, then ${await servesUnderLoweredLimit(echod, before)}`;
}

test(`${CLIENTS} clients right after prlimit, before echod sees it: it lives through EMFILE and then serves with the new limit`, async () => {
  const echod = await spawnEchod(LOOPBACK_WITH_ADMIN);
  running.push(echod);
  console.log(`prlimit, clients at once: ${await outlivesExhaustion(echod)}`);
}, 30_000);

test(`--workers 2, both lowered and flooded at once: no worker dies at EMFILE (RSS reads fail there), then ${2 * LOWERED_EFFECTIVE} served`, async () => {
  const echod = await spawnEchod([...LOOPBACK_WITH_ADMIN, "--workers", "2"]);
  running.push(echod);
  const started = echod.lines.find((l) => l.msg === "echod listening") as { workers: number[] };
  const pids = started.workers;
  for (const pid of pids) lowerLimit(pid, LOWERED);
  const first = await crowd(echod.port, CLIENTS);
  await echod.waitForLine((l) => l.msg === NO_FD_FREE, 3000);
  // Through at least one heartbeat at EMFILE in each worker.
  await Bun.sleep(1500);
  first.leave();
  await Bun.sleep(1500);
  const m = await metrics(echod.metricsPort as number);
  expect(total(m, "echod_worker_restarts_total")).toBe(0);
  expect(total(m, "echod_internal_errors_total")).toBe(0);
  expect(total(m, "echod_max_connections")).toBe(2 * LOWERED_EFFECTIVE);
  // The kernel spreads clients over both workers; each serves its LOWERED_EFFECTIVE.
  const second = await crowd(echod.port, CLIENTS);
  const turnedAway = CLIENTS - 2 * LOWERED_EFFECTIVE;
  expect(await waitFor(() => second.ended() === turnedAway, 10_000)).toBe(true);
  second.leave();
  const payload = randomPayload(64 * 1024);
  const again = await echoOnce(echod.port, payload);
  expect(sha256(again.received)).toBe(sha256(payload));
  expect(echod.proc.exitCode).toBeNull();
  console.log(
    `workers at EMFILE: 0 restarts, 0 internal errors; then ${2 * LOWERED_EFFECTIVE} served, ${turnedAway} turned away, echo again`,
  );
}, 30_000);
