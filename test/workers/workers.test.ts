/**
 * Multi-process echod (`--workers N`): connections spread over processes,
 * a killed worker is replaced while the others keep echoing, /metrics sums
 * the workers, the connection limit holds for the whole daemon, and SIGTERM
 * drains every worker.
 */
import { describe, expect, test } from "bun:test";
import net from "node:net";
import {
  connect,
  echoOnce,
  randomPayload,
  readToEnd,
  sha256,
  waitFor,
} from "../helpers/net-client.ts";
import { parseSamples, sample, scrape } from "../helpers/prom-text.ts";
import {
  type Echod,
  LOOPBACK_WITH_ADMIN,
  runEchod,
  spawnKilledAfterEach,
} from "../helpers/spawn-echod.ts";

const spawnEchod = spawnKilledAfterEach(pidsOf);

async function start(args: string[]): Promise<Echod & { admin: number; workerPids: number[] }> {
  const echod = await spawnEchod([...LOOPBACK_WITH_ADMIN, ...args]);
  const started = echod.lines.find((l) => l.msg === "echod listening") as { workers?: number[] };
  return Object.assign(echod, { admin: echod.metricsPort ?? 0, workerPids: started.workers ?? [] });
}

function pidsOf(e: Echod): number[] {
  return e.lines.flatMap((l) =>
    l.msg === "echod listening" ? ((l.workers as number[]) ?? []) : [],
  );
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function samples(port: number) {
  return parseSamples(await (await scrape(port)).text());
}

/**
 * Which process owns each established server-side connection on `port`, from
 * `ss -tnp`: client port -> owner pid.
 */
async function ownersOf(port: number): Promise<Map<number, number>> {
  const proc = Bun.spawn(["ss", "-Htnp", "state", "established", `( sport = :${port} )`], {
    stdout: "pipe",
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

describe("--workers 2", () => {
  test("40 connections are spread over both worker processes", async () => {
    const echod = await start(["--workers", "2"]);
    expect(echod.workerPids).toHaveLength(2);
    const sockets: net.Socket[] = [];
    for (let i = 0; i < 40; i++) sockets.push(await connect(echod.port));
    await Bun.sleep(100);
    const owners = [...(await ownersOf(echod.port)).values()];
    expect(owners).toHaveLength(40);
    for (const pid of echod.workerPids) {
      expect(owners.filter((o) => o === pid).length).toBeGreaterThan(0);
    }
    for (const s of sockets) s.destroy();
  });

  test("/metrics sums the workers: counters equal the traffic of 30 clients", async () => {
    const echod = await start(["--workers", "2"]);
    const payloads = Array.from({ length: 30 }, (_, i) => randomPayload(5000 + i * 777));
    const results = await Promise.all(payloads.map((p) => echoOnce(echod.port, p)));
    for (const [i, r] of results.entries()) {
      expect(sha256(r.received)).toBe(sha256(payloads[i] as Buffer));
    }
    const total = payloads.reduce((n, p) => n + p.length, 0);
    await Bun.sleep(50);
    const s = await samples(echod.admin);
    expect(sample(s, 'echod_received_bytes_total{listener="tcp"}')).toBe(total);
    expect(sample(s, 'echod_sent_bytes_total{listener="tcp"}')).toBe(total);
    expect(sample(s, 'echod_connections_accepted_total{listener="tcp"}')).toBe(30);
    expect(sample(s, 'echod_connections_active{listener="tcp"}')).toBe(0);
    expect(sample(s, "echod_workers")).toBe(2);
    expect(sample(s, "echod_worker_restarts_total")).toBe(0);
    expect(sample(s, "echod_cpu_seconds_total")).toBeGreaterThan(
      sample(s, "process_cpu_seconds_total"),
    );
  });

  test("a SIGKILLed worker is restarted and counted while the other keeps echoing", async () => {
    const echod = await start(["--workers", "2"]);
    // Hold connections until both workers own at least one.
    const sockets: net.Socket[] = [];
    let owners = new Map<number, number>();
    for (let i = 0; i < 40 && new Set(owners.values()).size < 2; i++) {
      sockets.push(await connect(echod.port));
      owners = await ownersOf(echod.port);
    }
    const [victim, survivor] = echod.workerPids as [number, number];
    const before = await samples(echod.admin);
    process.kill(victim, "SIGKILL");
    await echod.waitForLine((l) => l.msg === "worker died; restarting");
    expect(await waitFor(() => !alive(victim))).toBe(true);

    // A connection owned by the survivor still echoes.
    const survivorSockets = sockets.filter((s) => owners.get(s.localPort ?? -1) === survivor);
    expect(survivorSockets.length).toBeGreaterThan(0);
    const probe = survivorSockets[0] as net.Socket;
    const reply = new Promise<string>((r) => probe.once("data", (d: Buffer) => r(d.toString())));
    probe.write("still here");
    expect(await reply).toBe("still here");

    let after = await samples(echod.admin);
    const deadline = performance.now() + 5000;
    while (sample(after, "echod_workers") < 2 && performance.now() < deadline) {
      await Bun.sleep(100);
      after = await samples(echod.admin);
    }
    expect(sample(after, "echod_workers")).toBe(2);
    expect(sample(after, "echod_worker_restarts_total")).toBe(1);
    // Counters never go backwards when a worker dies.
    expect(
      sample(after, 'echod_connections_accepted_total{listener="tcp"}'),
    ).toBeGreaterThanOrEqual(sample(before, 'echod_connections_accepted_total{listener="tcp"}'));
    expect((await fetch(`http://127.0.0.1:${echod.admin}/readyz`)).status).toBe(200);
    const { received } = await echoOnce(echod.port, Buffer.from("new clients are served"));
    expect(received.toString()).toBe("new clients are served");
    for (const s of sockets) s.destroy();
  });

  test("--max-connections 4 holds for the whole daemon, not per worker", async () => {
    const echod = await start(["--workers", "2", "--max-connections", "4"]);
    const sockets: net.Socket[] = [];
    for (let i = 0; i < 12; i++) {
      const s = await connect(echod.port);
      s.on("error", () => {});
      sockets.push(s);
    }
    await Bun.sleep(200);
    const s = await samples(echod.admin);
    expect(sample(s, 'echod_connections_active{listener="tcp"}')).toBeLessThanOrEqual(4);
    expect(sample(s, 'echod_connections_accepted_total{listener="tcp"}')).toBeLessThanOrEqual(4);
    expect(
      sample(s, 'echod_connections_accepted_total{listener="tcp"}') +
        sample(s, 'echod_connections_rejected_total{listener="tcp",reason="max_connections"}'),
    ).toBe(12);
    for (const socket of sockets) socket.destroy();
  });

  test("SIGTERM drains every worker mid-transfer and the primary exits 0", async () => {
    const echod = await start(["--workers", "2", "--max-buffer", "64KiB"]);
    const socket = await connect(echod.port);
    socket.pause();
    const payload = randomPayload(8 * 1024 * 1024);
    socket.write(payload);
    await Bun.sleep(300);
    echod.kill("SIGTERM");
    const received = await readToEnd(socket);
    expect(await echod.exited).toBe(0);
    expect(received.length).toBeGreaterThan(0);
    expect(Buffer.compare(received, payload.subarray(0, received.length))).toBe(0);
    const summary = echod.lines.find((l) => l.msg === "echod stopped") as Record<string, number>;
    expect(summary.sentBytes).toBe(received.length);
    for (const pid of echod.workerPids) expect(alive(pid)).toBe(false);
  });

  test("a worker that cannot listen makes echod exit 1 with the reason", async () => {
    const blocker = net.createServer().listen(0, "127.0.0.1");
    await new Promise((r) => blocker.once("listening", r));
    const port = (blocker.address() as net.AddressInfo).port;
    const { code, stderr } = await runEchod([
      String(port),
      "--host",
      "127.0.0.1",
      "--no-metrics",
      "--workers",
      "2",
    ]);
    blocker.close();
    expect(code).toBe(1);
    expect(stderr.trim()).toBe(`echod: cannot listen on 127.0.0.1:${port}: address already in use`);
  });

  test("bad --workers values exit 2", async () => {
    for (const bad of ["0", "many", "-1", "1000"]) {
      const { code, stderr } = await runEchod(["--workers", bad]);
      expect(code).toBe(2);
      expect(stderr.trim()).toBe(
        `echod: invalid --workers "${bad}": must be auto or a decimal integer from 1 to 256`,
      );
    }
    const contradictory = await runEchod(["--workers", "4", "--max-connections", "2"]);
    expect(contradictory.code).toBe(2);
    expect(contradictory.stderr.trim()).toBe(
      'echod: invalid --max-connections "2": must be at least the number of workers (4): each worker gets a share',
    );
  });
});
