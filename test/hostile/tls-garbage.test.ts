/**
 * Garbage on the TLS port of a spawned echod: bytes that are not a
 * ClientHello, a plain-HTTP request, a ClientHello cut in half and then a
 * close, a full ClientHello and then a close, a record header that never
 * delivers its record, and garbage after a finished handshake; then 200
 * half-finished handshakes held open while `openssl s_client` still gets its
 * echo. Each ends as pinned below and is counted by that reason exactly
 * (`tls_handshake_failed` for a refused or broken-off handshake, as the
 * docs/listeners-and-framing.md documents; `idle_timeout` for one that stalls, reaped by
 * --idle-timeout and never earlier); the process stays up.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import net from "node:net";
import tls from "node:tls";
import { type CertDir, createCertDir, sClient, tlsListenerArgs } from "../helpers/certs.ts";
import { echoOnce } from "../helpers/net-client.ts";
import {
  type Echod,
  LOOPBACK_WITH_ADMIN,
  spawnKilledAfterEach,
  tlsPortOf,
} from "../helpers/spawn-echod.ts";
import { exchange, fmt, metrics, percentile, total } from "./tools.ts";

const IDLE_S = 2;
const HALF_OPEN = 200;

const spawnEchod = spawnKilledAfterEach();
let certs: CertDir;
/** A real ClientHello (Bun's node:tls client), captured by a plain TCP server. */
let hello: Buffer;

beforeAll(async () => {
  certs = createCertDir();
  certs.issue("server", "echod tls garbage", 4004, "server");
  hello = await new Promise<Buffer>((resolve) => {
    const capture = net.createServer((s) => {
      s.once("data", (d: Buffer) => {
        resolve(d);
        s.destroy();
        capture.close();
      });
    });
    capture.listen(0, "127.0.0.1", () => {
      const { port } = capture.address() as net.AddressInfo;
      tls.connect({ port, host: "127.0.0.1", rejectUnauthorized: false }).on("error", () => {});
    });
  });
});

afterAll(() => certs.remove());

async function startTls(): Promise<{ echod: Echod; port: number }> {
  const echod = await spawnEchod([
    ...LOOPBACK_WITH_ADMIN,
    ...tlsListenerArgs(certs, "server"),
    "--idle-timeout",
    String(IDLE_S),
    "--log-level",
    "debug",
  ]);
  return { echod, port: tlsPortOf(echod) };
}

/** The reason echod logged for the connection from client port `port`. */
async function reasonFor(echod: Echod, port: number): Promise<unknown> {
  const line = await echod.waitForLine(
    (l) => l.msg === "connection closed" && String(l.remote).endsWith(`:${port}`),
  );
  return line.reason;
}

/** 1 KiB that is no TLS record: a fixed pattern, so every run sends the same bytes. */
const GARBAGE = Buffer.from(Array.from({ length: 1024 }, (_, i) => (i * 131 + 7) & 0xff));
/** A fatal TLS alert record (content type 21), as BoringSSL in Bun 1.4.5 sends it before closing. */
const ALERT = 0x15;

interface Case {
  readonly what: string;
  readonly writes: () => Uint8Array[];
  readonly end: boolean;
  /** What comes back: nothing, a TLS alert, or the server's handshake flight (starts with a handshake record, 22). */
  readonly back: "nothing" | "alert" | "handshake";
  readonly ending: "fin" | "reset";
  readonly reason: "tls_handshake_failed" | "idle_timeout";
}

const CASES: Case[] = [
  {
    what: "1 KiB of bytes that are not TLS",
    writes: () => [GARBAGE],
    end: false,
    back: "alert",
    ending: "fin",
    reason: "tls_handshake_failed",
  },
  {
    what: "a plain-HTTP request",
    writes: () => [Buffer.from("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")],
    end: false,
    back: "nothing",
    ending: "fin",
    reason: "tls_handshake_failed",
  },
  {
    what: "half a ClientHello, then a close",
    writes: () => [hello.subarray(0, hello.length >> 1)],
    end: true,
    back: "nothing",
    ending: "fin",
    reason: "tls_handshake_failed",
  },
  {
    what: "a whole ClientHello, then a close",
    writes: () => [hello],
    end: true,
    back: "handshake",
    ending: "fin",
    reason: "tls_handshake_failed",
  },
  {
    // The idle timeout resets it (terminate), as it does any idle connection.
    what: "a record header promising 16 KiB that never comes",
    writes: () => [Buffer.from([0x16, 0x03, 0x03, 0x40, 0x00])],
    end: false,
    back: "nothing",
    ending: "reset",
    reason: "idle_timeout",
  },
];

test("bytes that are not a TLS handshake end as pinned, counted by reason, and echod keeps serving TLS", async () => {
  const { echod, port } = await startTls();
  const outcomes: string[] = [];
  const results = await Promise.all(
    CASES.map((c) => exchange(port, c.writes(), { end: c.end, timeoutMs: (IDLE_S + 5) * 1000 })),
  );
  for (const [i, c] of CASES.entries()) {
    const r = results[i] as (typeof results)[number];
    const back =
      r.received.length === 0
        ? "nothing"
        : r.received[0] === ALERT
          ? "alert"
          : r.received[0] === 0x16
            ? "handshake"
            : `0x${r.received.subarray(0, 8).toString("hex")}`;
    const reason = await reasonFor(echod, r.localPort);
    outcomes.push(`${c.what}: ${back} (${r.received.length} B), ${r.ending}, ${reason}`);
    expect(`${c.what}: ${back}, ${r.ending}, ${reason}`).toBe(
      `${c.what}: ${c.back}, ${c.ending}, ${c.reason}`,
    );
  }

  // Garbage after a finished handshake: the record fails to decrypt and echod closes it (reason `error`).
  const raw = net.connect({ port, host: "127.0.0.1" });
  await new Promise((r) => raw.once("connect", r));
  const rawPort = raw.localPort as number;
  const secure = tls.connect({ socket: raw, rejectUnauthorized: false });
  secure.on("error", () => {});
  await new Promise((r) => secure.once("secureConnect", r));
  secure.write("ping");
  const echoed = await new Promise<string>((r) => secure.once("data", (d: Buffer) => r(String(d))));
  raw.write(GARBAGE);
  const afterHandshake = await reasonFor(echod, rawPort);
  raw.destroy();
  outcomes.push(`garbage after a finished handshake: ${afterHandshake}`);
  expect(echoed).toBe("ping");
  expect(afterHandshake).toBe("error");

  const good = await sClient(port, "still here\n", { ca: certs.path("ca.crt") });
  const m = await metrics(echod.metricsPort as number);
  const failed = total(m, "echod_connections_closed_total", { reason: "tls_handshake_failed" });
  const idle = total(m, "echod_connections_closed_total", { reason: "idle_timeout" });
  console.log(
    `tls garbage: ${CASES.length + 1} cases, ${failed} counted tls_handshake_failed, ${idle} idle_timeout; ${outcomes.join("; ")}`,
  );
  expect(good.stdout).toBe("still here\n");
  expect(failed).toBe(CASES.filter((c) => c.reason === "tls_handshake_failed").length);
  expect(idle).toBe(CASES.filter((c) => c.reason === "idle_timeout").length);
  expect(total(m, "echod_connections_closed_total", { reason: "error" })).toBe(1);
  expect(echod.proc.exitCode).toBeNull();
}, 30_000);

test(`${HALF_OPEN} half-finished handshakes held open: openssl s_client still echoes, each is reaped by the ${IDLE_S} s idle timeout, never earlier`, async () => {
  const { echod, port } = await startTls();
  const half = hello.subarray(0, hello.length >> 1);
  const lifetimes: number[] = [];
  const gone = await Promise.all(
    Array.from({ length: HALF_OPEN }, async () => {
      const socket = net.connect({ port, host: "127.0.0.1" });
      socket.on("error", () => {});
      await new Promise((r) => socket.once("connect", r));
      const opened = performance.now();
      socket.write(half);
      // Wrapped, so that Promise.all waits for the connections, not for their closes.
      return {
        closed: new Promise<void>((r) =>
          socket.once("close", () => {
            lifetimes.push(performance.now() - opened);
            r();
          }),
        ),
      };
    }),
  );
  const heldAt = performance.now();
  const before = await metrics(echod.metricsPort as number);
  const good = await sClient(port, "served beside the crowd\n", { ca: certs.path("ca.crt") });
  const plain = await echoOnce(echod.port, Buffer.from("plain too"));
  const goodMs = performance.now() - heldAt;
  await Promise.race([Promise.all(gone.map((g) => g.closed)), Bun.sleep((IDLE_S + 10) * 1000)]);
  const m = await metrics(echod.metricsPort as number);
  console.log(
    `tls half-open: ${HALF_OPEN} half ClientHellos held; s_client echoed in ${fmt(goodMs)} while ${total(before, "echod_connections_active", { listener: "tls" })} were open; ` +
      `${lifetimes.length} reaped, lifetime min ${fmt(percentile(lifetimes, 0))}, p50 ${fmt(percentile(lifetimes, 0.5))}, max ${fmt(percentile(lifetimes, 1))}`,
  );
  expect(total(before, "echod_connections_active", { listener: "tls" })).toBe(HALF_OPEN);
  expect(good.stdout).toBe("served beside the crowd\n");
  expect(plain.received.toString()).toBe("plain too");
  expect(lifetimes.length).toBe(HALF_OPEN);
  // Never before the timeout; within two sweep ticks (0.5 s each at 2 s) after it, plus scheduling slack.
  expect(percentile(lifetimes, 0)).toBeGreaterThanOrEqual(IDLE_S * 1000);
  expect(percentile(lifetimes, 1)).toBeLessThan(IDLE_S * 1000 + 2500);
  expect(total(m, "echod_connections_closed_total", { reason: "idle_timeout" })).toBe(HALF_OPEN);
  expect(total(m, "echod_connections_closed_total", { listener: "tls" })).toBe(HALF_OPEN + 1);
  expect(total(m, "echod_connections_active")).toBe(0);
  expect(echod.proc.exitCode).toBeNull();
}, 30_000);
