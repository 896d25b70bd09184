/**
 * Descriptor exhaustion: echod started under `ulimit -n 200` (soft and hard),
 * then 300 clients, more than it has descriptors for. It must lower its
 * connection limit to 200 - 64 = 136, turn the rest away with reason
 * fd_limit (logged and counted), keep its admin port answering, not spin
 * (Bun busy-loops on EMFILE), and serve again once the clients leave.
 */
import { expect, test } from "bun:test";
import type net from "node:net";
import { connect, echoOnce, randomPayload, sha256, waitFor } from "../helpers/net-client.ts";
import { killedAfterEach, LOOPBACK_WITH_ADMIN, spawnEchod } from "../helpers/spawn-echod.ts";
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
