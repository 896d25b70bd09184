/**
 * A short TLS soak that watches RSS (Bun has open TLS leak reports:
 * oven-sh/bun #17777, #16503). A spawned echod with a TLS listener takes 6
 * rounds of 500 short TLS connections (handshake, 4 KiB echoed and checked,
 * close), 50 at a time, while 2 TLS streams run throughout. echod's RSS is
 * read from /proc after each round: the last round may not exceed the
 * highest of rounds 2 and 3 (round 1 is warm-up) by more than 20%. A leak of
 * 5 KiB per connection would add about 12 MiB over rounds 4 to 6, more than
 * that allowance on a ~60 MiB process. `npm run soak -- --tls` is the long run.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import tls from "node:tls";
import { LOOPBACK_WITH_ADMIN, spawnKilledAfterEach, tlsPortOf } from "../helpers/spawn-echod.ts";
import { metrics, rssBytes, total } from "./tools.ts";

const ROUNDS = 6;
const PER_ROUND = 500;
const AT_ONCE = 50;

let dir = "";
const spawnEchod = spawnKilledAfterEach();

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "echod-tls-soak-"));
  const made = Bun.spawnSync(
    ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj"].concat([
      "/CN=localhost",
      "-keyout",
      join(dir, "key.pem"),
      "-out",
      join(dir, "cert.pem"),
    ]),
    { stdout: "ignore", stderr: "pipe" },
  );
  if (made.exitCode !== 0) throw new Error(`openssl req failed: ${made.stderr.toString()}`);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function tlsConnect(port: number): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host: "127.0.0.1",
      port,
      rejectUnauthorized: false,
      allowHalfOpen: true,
    } as tls.ConnectionOptions);
    socket.once("secureConnect", () => resolve(socket));
    socket.once("error", reject);
  });
}

/** One short TLS connection: send 4 KiB, half-close, expect exactly it back. */
async function shortEcho(port: number): Promise<boolean> {
  const payload = randomBytes(4096);
  const socket = await tlsConnect(port);
  const parts: Buffer[] = [];
  socket.on("data", (d: Buffer) => parts.push(d));
  socket.on("error", () => {});
  const closed = new Promise<void>((r) => socket.once("close", () => r()));
  socket.end(payload);
  await Promise.race([closed, Bun.sleep(10_000)]);
  socket.destroy();
  return Buffer.concat(parts).equals(payload);
}

/** A TLS stream that writes 16 KiB blocks every 10 ms and counts bytes that come back wrong. */
async function tlsStream(port: number) {
  const block = randomBytes(16 * 1024);
  const socket = await tlsConnect(port);
  let received = 0;
  let sent = 0;
  let bad = 0;
  socket.on("error", () => {});
  socket.on("data", (d: Buffer) => {
    for (let i = 0; i < d.length; i++) {
      if (d[i] !== block[(received + i) % block.length]) bad++;
    }
    received += d.length;
  });
  const timer = setInterval(() => {
    socket.write(block);
    sent += block.length;
  }, 10);
  return {
    async stop() {
      clearInterval(timer);
      const closed = new Promise<void>((r) => socket.once("close", () => r()));
      socket.end();
      await Promise.race([closed, Bun.sleep(10_000)]);
      return { sent, received, bad };
    },
  };
}

test(`TLS: ${ROUNDS} rounds of ${PER_ROUND} short connections beside 2 streams; RSS stops growing after warm-up (last round within 20% of rounds 2-3)`, async () => {
  const echod = await spawnEchod([
    ...LOOPBACK_WITH_ADMIN,
    "--tls-port",
    "0",
    "--tls-cert",
    join(dir, "cert.pem"),
    "--tls-key",
    join(dir, "key.pem"),
  ]);
  const port = tlsPortOf(echod);
  const pid = echod.proc.pid;
  const base = rssBytes(pid);

  const streams = await Promise.all([tlsStream(port), tlsStream(port)]);
  const rss: number[] = [];
  let failed = 0;
  const t0 = performance.now();
  for (let round = 0; round < ROUNDS; round++) {
    for (let done = 0; done < PER_ROUND; done += AT_ONCE) {
      const ok = await Promise.all(
        Array.from({ length: AT_ONCE }, () => shortEcho(port).catch(() => false)),
      );
      failed += ok.filter((x) => !x).length;
    }
    await Bun.sleep(200);
    rss.push(rssBytes(pid));
  }
  const seconds = (performance.now() - t0) / 1000;
  const results = await Promise.all(streams.map((s) => s.stop()));

  const mib = (n: number) => (n / 2 ** 20).toFixed(1);
  const reference = Math.max(rss[1] as number, rss[2] as number);
  const last = rss[ROUNDS - 1] as number;
  console.log(
    `TLS soak: ${ROUNDS * PER_ROUND} TLS connections in ${seconds.toFixed(1)} s; RSS MiB base ${mib(base)}, ` +
      `after each round ${rss.map(mib).join(", ")}; last vs rounds 2-3: ${((last / reference - 1) * 100).toFixed(1)}%`,
  );
  expect(failed).toBe(0);
  for (const r of results) {
    expect(r.bad).toBe(0);
    expect(r.received).toBe(r.sent);
  }
  let m = await metrics(echod.metricsPort as number);
  for (let i = 0; i < 50 && total(m, "echod_connections_active") !== 0; i++) {
    await Bun.sleep(100);
    m = await metrics(echod.metricsPort as number);
  }
  expect(total(m, "echod_connections_active", { listener: "tls" })).toBe(0);
  expect(total(m, "echod_connections_accepted_total", { listener: "tls" })).toBe(
    ROUNDS * PER_ROUND + 2,
  );
  expect(last).toBeLessThanOrEqual(reference * 1.2);
}, 120_000);
