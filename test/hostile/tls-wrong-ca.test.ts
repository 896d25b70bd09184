/**
 * Client certificates from the wrong CA on a TLS listener with --tls-ca.
 * Bun reports such a handshake as a success carrying an authorization
 * error and then closes the socket with no alert, so these clients used to
 * be counted `peer_closed`. Real `openssl s_client` clients (TLS 1.2 and
 * 1.3) and Bun's own TLS client present a certificate signed by another CA;
 * each must be counted `tls_handshake_failed` and named in the log.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { type CertDir, createCertDir, sClient } from "../helpers/certs.ts";
import {
  type Echod,
  killedAfterEach,
  LOOPBACK_WITH_ADMIN,
  spawnEchod,
} from "../helpers/spawn-echod.ts";
import { metrics, total } from "./tools.ts";

const PER_VERSION = 3;
const BUN_CLIENTS = 2;
const CLOSED = "echod_connections_closed_total";

const running = killedAfterEach();
let ours: CertDir;
let theirs: CertDir;

beforeAll(() => {
  ours = createCertDir();
  ours.issue("server", "echod", 1001, "server");
  ours.issue("client", "a trusted client", 1002, "client");
  // Another CA altogether, with a client certificate it signed.
  theirs = createCertDir();
  theirs.issue("client", "a stranger", 2001, "client");
});

afterAll(() => {
  ours.remove();
  theirs.remove();
});

async function start(
  logLevel: string,
  verifyClients = true,
): Promise<{ echod: Echod; port: number; admin: number }> {
  const echod = await spawnEchod([
    ...LOOPBACK_WITH_ADMIN,
    "--tls-port",
    "0",
    "--tls-cert",
    ours.path("server.crt"),
    "--tls-key",
    ours.path("server.key"),
    ...(verifyClients ? ["--tls-ca", ours.path("ca.crt")] : []),
    "--log-level",
    logLevel,
  ]);
  running.push(echod);
  const started = echod.lines.find((l) => l.msg === "echod listening") as {
    listeners: Record<string, string>;
  };
  const port = Number(started.listeners.tls?.split(":").pop());
  return { echod, port, admin: echod.metricsPort as number };
}

/** Closed-connection counts by reason, summed over listeners. */
async function closed(admin: number): Promise<{ failed: number; peerClosed: number }> {
  const samples = await metrics(admin);
  return {
    failed: total(samples, CLOSED, { reason: "tls_handshake_failed" }),
    peerClosed: total(samples, CLOSED, { reason: "peer_closed" }),
  };
}

/** Waits until the handshake-failure count reaches `want` (or 5 s pass), then returns both counts. */
async function settle(
  admin: number,
  want: number,
): Promise<{ failed: number; peerClosed: number }> {
  const deadline = performance.now() + 5000;
  let now = await closed(admin);
  while (now.failed < want && performance.now() < deadline) {
    await Bun.sleep(50);
    now = await closed(admin);
  }
  return now;
}

/** Bun's TLS client with the stranger's certificate: what it got back before the server closed. */
async function bunClient(port: number): Promise<string> {
  let echoed = "";
  const { promise, resolve } = Promise.withResolvers<void>();
  const socket = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    tls: {
      ca: readFileSync(ours.path("ca.crt"), "utf8"),
      cert: readFileSync(theirs.path("client.crt"), "utf8"),
      key: readFileSync(theirs.path("client.key"), "utf8"),
    },
    socket: {
      handshake(s) {
        s.write("from bun\n");
      },
      data(_s, chunk) {
        echoed += chunk.toString();
      },
      close: () => resolve(),
      error: () => resolve(),
    },
  });
  const timer = setTimeout(() => socket.end(), 3000);
  await promise;
  clearTimeout(timer);
  return echoed;
}

/**
 * `openssl s_client` pinned to one TLS version, presenting the stranger's
 * certificate: sends a line, waits 300 ms, closes. Returns what came back.
 */
async function pinnedSClient(port: number, version: string): Promise<string> {
  const args = ["s_client", "-connect", `127.0.0.1:${port}`, version, "-quiet", "-no_ign_eof"]
    .concat(["-CAfile", ours.path("ca.crt"), "-verify_return_error"])
    .concat(["-cert", theirs.path("client.crt"), "-key", theirs.path("client.key")]);
  const proc = Bun.spawn(
    ["bash", "-c", `(printf 'wrong ca\\n'; sleep 0.3) | openssl "$@"`, "s-client", ...args],
    { stdout: "pipe", stderr: "ignore", timeout: 10_000 },
  );
  const [stdout] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
  return stdout;
}

/** Every stranger: s_client with TLS 1.2 and 1.3, then Bun's client. Returns what any got echoed. */
async function strangers(port: number): Promise<string> {
  let echoed = "";
  for (const version of ["-tls1_2", "-tls1_3"]) {
    for (let i = 0; i < PER_VERSION; i++) {
      echoed += await pinnedSClient(port, version);
    }
  }
  for (let i = 0; i < BUN_CLIENTS; i++) echoed += await bunClient(port);
  return echoed;
}

const STRANGERS = 2 * PER_VERSION + BUN_CLIENTS;

test(`${STRANGERS} clients with a certificate from another CA are counted tls_handshake_failed, none peer_closed, and logged at most once a second`, async () => {
  const { echod, port, admin } = await start("info");
  // A trusted client first: served, and the one peer_closed of this run.
  const trusted = await sClient(port, "trusted\n", {
    ca: ours.path("ca.crt"),
    cert: ours.path("client.crt"),
    key: ours.path("client.key"),
    holdMs: 300,
  });
  expect(trusted.stdout).toBe("trusted\n");
  const before = await settle(admin, 0);
  const started = performance.now();
  const echoed = await strangers(port);
  const after = await settle(admin, before.failed + STRANGERS);
  const seconds = (performance.now() - started) / 1000;
  // The last burst is logged within a second of its first failure.
  await Bun.sleep(1200);
  const warnings = echod.lines.filter((l) => l.msg === "tls handshakes failed");
  const logged = warnings.reduce((sum, l) => sum + Number(l.failed), 0);
  // At most one line a second: consecutive lines are a second apart (ISO times, ms precision).
  const times = warnings.map((l) => Date.parse(String(l.time)));
  const gaps = times.slice(1).map((t, i) => t - (times[i] as number));
  console.log(
    `wrong CA: ${STRANGERS} strangers in ${seconds.toFixed(1)} s -> tls_handshake_failed +${after.failed - before.failed}, ` +
      `peer_closed +${after.peerClosed - before.peerClosed}; ${warnings.length} warning lines counting ${logged}, ${gaps.join("/")} ms apart`,
  );
  expect(echoed).toBe("");
  expect(after.failed - before.failed).toBe(STRANGERS);
  expect(after.peerClosed - before.peerClosed).toBe(0);
  expect(before.peerClosed).toBe(1);
  expect(logged).toBe(STRANGERS);
  expect(Math.min(...gaps)).toBeGreaterThanOrEqual(999);
  for (const line of warnings)
    expect(String(line.error)).toMatch(/^UNABLE_TO_VERIFY_LEAF_SIGNATURE: /);
  expect(echod.proc.exitCode).toBeNull();
});

test("at debug level each refused certificate gets its own line naming the verification error", async () => {
  const { echod, port, admin } = await start("debug");
  const echoed = await strangers(port);
  const after = await settle(admin, STRANGERS);
  const failures = echod.lines.filter((l) => l.msg === "tls handshake failed");
  const closes = echod.lines.filter(
    (l) => l.msg === "connection closed" && l.reason === "tls_handshake_failed",
  );
  console.log(
    `wrong CA at debug: ${failures.length} "tls handshake failed" lines, ${closes.length} closes with reason tls_handshake_failed, ` +
      `first error: ${String(failures[0]?.error)}`,
  );
  expect(echoed).toBe("");
  expect(after.failed).toBe(STRANGERS);
  expect(after.peerClosed).toBe(0);
  expect(failures).toHaveLength(STRANGERS);
  expect(closes).toHaveLength(STRANGERS);
  for (const line of failures) {
    expect(String(line.error)).toMatch(/^UNABLE_TO_VERIFY_LEAF_SIGNATURE: /);
    expect(String(line.remote)).toMatch(/^127\.0\.0\.1:\d+$/);
  }
});

test("without --tls-ca no client certificate is checked: the stranger is served and counted peer_closed", async () => {
  const { echod, port, admin } = await start("info", false);
  const echoed = await pinnedSClient(port, "-tls1_3");
  const deadline = performance.now() + 5000;
  let counts = await closed(admin);
  while (counts.peerClosed < 1 && performance.now() < deadline) {
    await Bun.sleep(50);
    counts = await closed(admin);
  }
  console.log(
    `no --tls-ca: stranger got ${JSON.stringify(echoed)} back; peer_closed ${counts.peerClosed}, tls_handshake_failed ${counts.failed}`,
  );
  expect(echoed).toBe("wrong ca\n");
  expect(counts).toEqual({ failed: 0, peerClosed: 1 });
  expect(echod.lines.filter((l) => l.msg === "tls handshakes failed")).toHaveLength(0);
});
