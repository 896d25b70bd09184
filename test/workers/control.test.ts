/**
 * The control API with `--workers 2`: a PATCH has reached both worker
 * processes when it returns (connections open on each see the new delay on
 * their next chunk), GET /faults gives one answer, a listener goes down and
 * up in both, and a worker restarted later starts with the changes.
 */
import { expect, test } from "bun:test";
import type net from "node:net";
import { portOf } from "../../bench/common/spawn-echod.ts";
import { api, CLEAN } from "../helpers/control.ts";
import { connect, exactReader } from "../helpers/net-client.ts";
import { LOOPBACK_WITH_ADMIN, spawnKilledAfterEach } from "../helpers/spawn-echod.ts";

const spawnEchod = spawnKilledAfterEach((e) =>
  e.lines.flatMap((l) => (l.msg === "echod listening" ? ((l.workers as number[]) ?? []) : [])),
);
const DELAY_MS = 250;

/** The pid of the process that owns each established server-side connection on `port`, by client port. */
async function ownersOf(port: number): Promise<Map<number, number>> {
  const proc = Bun.spawn(["ss", "-Htnp", "state", "established", `( sport = :${port} )`], {
    stdout: "pipe",
    timeout: 5000,
  });
  const out = await new Response(proc.stdout).text();
  await proc.exited;
  const owners = new Map<number, number>();
  for (const line of out.split("\n")) {
    const peer = /\s\S+:(\d+)\s+users:/.exec(line);
    const pid = /pid=(\d+)/.exec(line);
    if (peer && pid) owners.set(Number(peer[1]), Number(pid[1]));
  }
  return owners;
}

/** Connections to `port` until every pid in `pids` owns one (at most 60). */
async function oneOnEach(port: number, pids: readonly number[]): Promise<Map<number, net.Socket>> {
  const byPid = new Map<number, net.Socket>();
  for (let i = 0; i < 60 && byPid.size < pids.length; i++) {
    const socket = await connect(port);
    await Bun.sleep(5);
    const owner = (await ownersOf(port)).get(socket.localPort ?? -1);
    if (owner !== undefined && pids.includes(owner) && !byPid.has(owner)) byPid.set(owner, socket);
    else socket.destroy();
  }
  return byPid;
}

async function echoMs(socket: net.Socket): Promise<number> {
  const reader = exactReader(socket);
  const started = performance.now();
  socket.write("ping\n");
  expect((await reader.read(5))?.toString()).toBe("ping\n");
  return performance.now() - started;
}

test("--workers 2: a PATCH reaches both workers before it returns; GET gives one answer", async () => {
  const echod = await spawnEchod([
    ...LOOPBACK_WITH_ADMIN,
    "--control",
    "--workers",
    "2",
    "--profile",
    "slow:0:delay=100",
  ]);
  const admin = echod.metricsPort as number;
  const pids = echod.started.workers as number[];
  expect(pids).toHaveLength(2);
  const open = await oneOnEach(echod.port, pids);
  expect(open.size).toBe(2);
  for (const socket of open.values()) expect(await echoMs(socket)).toBeLessThan(DELAY_MS);

  const patch = await api(admin, "PATCH", "/faults", { scope: "all", faults: { delay: DELAY_MS } });
  expect(patch.status).toBe(200);
  // The next chunk on a connection of either worker waits the delay.
  for (const socket of open.values())
    expect(await echoMs(socket)).toBeGreaterThanOrEqual(DELAY_MS - 1);
  const views = await Promise.all([1, 2, 3].map(() => api(admin, "GET", "/faults")));
  for (const view of views) {
    expect(view.body).toEqual({
      listeners: { tcp: { ...CLEAN, delay: DELAY_MS }, slow: { ...CLEAN, delay: DELAY_MS } },
    });
  }
  // The profile port, bound as port 0 by worker 0, is served by both workers.
  const slowPort = portOf((echod.started.listeners as Record<string, string>).slow);
  const onSlow = await oneOnEach(slowPort, pids);
  expect(onSlow.size).toBe(2);
  for (const socket of onSlow.values()) {
    expect(await echoMs(socket)).toBeGreaterThanOrEqual(DELAY_MS - 1);
    socket.destroy();
  }

  // Down in both workers: refused; up in both: accepted.
  expect((await api(admin, "POST", "/control/listeners/tcp/down")).status).toBe(200);
  expect(
    await connect(echod.port).then(
      () => "accepted",
      (e: Error & { code?: string }) => e.code,
    ),
  ).toBe("ECONNREFUSED");
  expect((await api(admin, "POST", "/control/listeners/tcp/up")).status).toBe(200);

  // A worker restarted after the change starts with it.
  const victim = pids[1] as number;
  process.kill(victim, "SIGKILL");
  const restarted = await echod.waitForLine((l) => l.msg === "worker restarted", 15_000);
  const newPid = restarted.workerPid as number;
  expect(newPid).not.toBe(victim);
  const onNew = await oneOnEach(echod.port, [newPid]);
  const socket = onNew.get(newPid) as net.Socket;
  expect(socket).toBeDefined();
  expect(await echoMs(socket)).toBeGreaterThanOrEqual(DELAY_MS - 1);
  for (const s of [...open.values(), socket]) s.destroy();
});
