/**
 * A real load balancer in front: Debian's haproxy forwards TCP to echod with
 * `send-proxy` (v1) on one frontend and `send-proxy-v2` on another. Through
 * each, a client's bytes come back exactly, echod's debug line names the
 * client's own address and port with haproxy's beside it, and the header
 * metric counts one v1 and one v2. A third frontend sends `send-proxy-v2`
 * and then TLS (`ssl`) to echod's TLS listener, the AWS-NLB-to-TLS shape;
 * that client reads its whole echo before it closes (a TLS half-close is
 * the one thing the TLS path does not do: docs/proxy-protocol.md#tls).
 * haproxy runs in the foreground in a child
 * process that the test kills; its config lives in a temp directory removed
 * afterwards.
 */
import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, waitForPort } from "../../../bench/common/ports.ts";
import { certDirForFile, tlsListenerArgs } from "../../helpers/certs.ts";
import {
  closed,
  connect,
  echoOnce,
  exactReader,
  randomPayload,
  sha256,
} from "../../helpers/net-client.ts";
import { LOOPBACK_WITH_ADMIN, spawnKilledAfterEach, tlsPortOf } from "../../helpers/spawn-echod.ts";
import { metrics, total } from "../../hostile/tools.ts";

const spawnEchod = spawnKilledAfterEach();
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function startHaproxy(
  echoPort: number,
  v1Port: number,
  v2Port: number,
  tls?: { echo: number; front: number },
): void {
  const dir = mkdtempSync(join(tmpdir(), "echod-haproxy-"));
  const config = [
    "global",
    "  log stderr format raw local0 err",
    "defaults",
    "  mode tcp",
    "  timeout connect 2s",
    "  timeout client 10s",
    "  timeout server 10s",
    `frontend v1\n  bind 127.0.0.1:${v1Port}\n  default_backend echod_v1`,
    `backend echod_v1\n  server echod 127.0.0.1:${echoPort} send-proxy`,
    `frontend v2\n  bind 127.0.0.1:${v2Port}\n  default_backend echod_v2`,
    `backend echod_v2\n  server echod 127.0.0.1:${echoPort} send-proxy-v2`,
    ...(tls
      ? [
          `frontend tls\n  bind 127.0.0.1:${tls.front}\n  default_backend echod_tls`,
          `backend echod_tls\n  server echod 127.0.0.1:${tls.echo} send-proxy-v2 ssl verify none`,
        ]
      : []),
    "",
  ].join("\n");
  writeFileSync(join(dir, "haproxy.cfg"), config);
  const proc = Bun.spawn(["haproxy", "-db", "-f", join(dir, "haproxy.cfg")], {
    stdout: "ignore",
    stderr: "inherit",
  });
  cleanups.push(() => {
    proc.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });
}

/** A scrape once no connection is open and the header counts stopped moving (bounded: 5 s). */
async function settled(admin: number): Promise<Map<string, number>> {
  let last = "";
  for (let i = 0; i < 50; i++) {
    const m = await metrics(admin);
    const key = `${total(m, "echod_proxy_headers_total")}/${total(m, "echod_connections_active")}`;
    if (key === last && total(m, "echod_connections_active") === 0) return m;
    last = key;
    await Bun.sleep(100);
  }
  throw new Error("echod's counters did not settle");
}

test("through haproxy send-proxy and send-proxy-v2, every byte comes back and echod sees the client", async () => {
  const echod = await spawnEchod([
    ...LOOPBACK_WITH_ADMIN,
    "--proxy-protocol",
    "any",
    "--proxy-protocol-from",
    "127.0.0.1",
    "--log-level",
    "debug",
  ]);
  const v1Port = freePort();
  const v2Port = freePort();
  startHaproxy(echod.port, v1Port, v2Port);
  await Promise.all([waitForPort(v1Port), waitForPort(v2Port)]);
  // waitForPort's probes went through haproxy too (haproxy connects to echod a
  // little later): count from once they are over, nothing open and the counts still.
  const before = await settled(echod.metricsPort as number);
  const base = (version: string) =>
    total(before, "echod_proxy_headers_total", { version, result: "accepted" });
  const payload = randomPayload(256 * 1024);
  for (const port of [v1Port, v2Port]) {
    const out = await echoOnce(port, payload, { chunk: 16 * 1024 });
    console.log(`via haproxy :${port}: ${out.received.length} of ${payload.length} bytes back`);
    expect(out.received.length).toBe(payload.length);
    expect(sha256(out.received)).toBe(sha256(payload));
  }
  const m = await metrics(echod.metricsPort as number);
  expect(
    total(m, "echod_proxy_headers_total", { version: "v1", result: "accepted" }) - base("v1"),
  ).toBe(1);
  expect(
    total(m, "echod_proxy_headers_total", { version: "v2", result: "accepted" }) - base("v2"),
  ).toBe(1);
  expect(total(m, "echod_connections_rejected_total", { reason: "proxy_protocol" })).toBe(0);
  // The debug line: the client's address and port, then "via" haproxy's connection to echod.
  const opened = echod.lines.filter(
    (l) => l.msg === "connection closed" && (l.bytesIn as number) === payload.length,
  );
  expect(opened.length).toBe(2);
  for (const line of opened)
    expect(String(line.remote)).toMatch(/^127\.0\.0\.1:\d+ via 127\.0\.0\.1:\d+$/);
  console.log(`debug lines: ${opened.map((l) => l.remote).join(", ")}`);
});

const certs = certDirForFile((dir) => dir.issue("live", "echod", 1001, "server"));

test("through haproxy send-proxy-v2 with ssl to the TLS listener, every byte comes back", async () => {
  const echod = await spawnEchod([
    ...LOOPBACK_WITH_ADMIN,
    ...tlsListenerArgs(certs),
    "--proxy-protocol",
    "v2",
    "--proxy-protocol-from",
    "127.0.0.1",
  ]);
  const [v1Port, v2Port, front] = [freePort(), freePort(), freePort()];
  startHaproxy(echod.port, v1Port, v2Port, { echo: tlsPortOf(echod), front });
  await waitForPort(front);
  const before = await settled(echod.metricsPort as number);
  const payload = randomPayload(256 * 1024);
  const socket = await connect(front);
  const reader = exactReader(socket);
  socket.write(payload);
  const echoed = await reader.read(payload.length);
  socket.end();
  console.log(`via haproxy ssl: ${echoed?.length ?? 0} of ${payload.length} bytes back`);
  expect(echoed === null ? "" : sha256(echoed)).toBe(sha256(payload));
  await closed(socket);
  const m = await settled(echod.metricsPort as number);
  const accepted = (s: Map<string, number>) =>
    total(s, "echod_proxy_headers_total", { listener: "tls", version: "v2", result: "accepted" });
  expect(accepted(m) - accepted(before)).toBe(1);
  expect(total(m, "echod_received_bytes_total", { listener: "tls" })).toBe(payload.length);
});
