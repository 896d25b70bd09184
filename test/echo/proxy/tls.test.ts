/**
 * The PROXY protocol on the TLS listener, through the real CLI: the header
 * in the clear, then TLS on the same connection (tls-bridge.ts). Node's TLS
 * client over a plain socket that first writes the header, once with a
 * pause before the ClientHello and once back to back (the usual case, where
 * both arrive in one read); 1 MiB comes back byte for byte either way.
 * Client certificates are still checked with --tls-ca, a bad header is
 * refused before any TLS, and the log line names the proxied client. The
 * clients read all their echo before ending TLS: a TLS half-close is the
 * one thing this path does not do (tls-bridge.ts).
 */
import { describe, expect, test } from "bun:test";
import { copyFileSync } from "node:fs";
import net from "node:net";
import tls from "node:tls";
import { certDirForFile, sClient, tlsListenerArgs } from "../../helpers/certs.ts";
import { randomPayload, sha256 } from "../../helpers/net-client.ts";
import { LOOPBACK_WITH_ADMIN, spawnKilledAfterEach, tlsPortOf } from "../../helpers/spawn-echod.ts";
import { metrics, total } from "../../hostile/tools.ts";

const spawnEchod = spawnKilledAfterEach();

const certs = certDirForFile((dir) => {
  dir.issue("live", "echod", 1001, "server");
  dir.issue("two", "echod two", 2002, "server");
  dir.issue("client", "a client", 3003, "client");
});

interface TlsOutcome {
  readonly received: Buffer;
  /** The serial of the certificate echod presented, in hex. */
  readonly serial: string;
  readonly secured: boolean;
  readonly error: string | null;
}

/** Writes `header` on a plain socket, then (after `pauseMs`) runs TLS over it: sends `payload`, half-closes, collects. */
async function proxiedTls(
  port: number,
  header: string,
  payload: Uint8Array,
  { pauseMs = 0, client = false }: { pauseMs?: number; client?: boolean } = {},
): Promise<TlsOutcome> {
  const raw = net.connect({ port, host: "127.0.0.1" });
  await new Promise((r) => raw.once("connect", r));
  raw.write(header);
  if (pauseMs > 0) await Bun.sleep(pauseMs);
  const options: tls.ConnectionOptions = {
    socket: raw,
    ca: await Bun.file(certs.path("ca.crt")).text(),
    servername: "localhost",
  };
  if (client) {
    options.cert = await Bun.file(certs.path("client.crt")).text();
    options.key = await Bun.file(certs.path("client.key")).text();
  }
  const secure = tls.connect(options);
  const chunks: Buffer[] = [];
  let secured = false;
  let serial = "";
  let error: string | null = null;
  return new Promise((resolve) => {
    const timer = setTimeout(() => secure.destroy(new Error("timed out")), 15_000);
    let received = 0;
    // Reads all its echo before ending its TLS side (see tls-bridge.ts on TLS half-close).
    secure.on("secureConnect", () => {
      secured = true;
      serial = secure.getPeerCertificate().serialNumber ?? "";
      secure.write(payload);
    });
    secure.on("data", (d: Buffer) => {
      chunks.push(d);
      received += d.length;
      if (received >= payload.length) secure.end();
    });
    secure.on("error", (e: Error) => {
      error ??= e.message;
    });
    secure.on("close", () => {
      clearTimeout(timer);
      raw.destroy();
      resolve({ received: Buffer.concat(chunks), serial, secured, error });
    });
  });
}

/** A plain client: writes `text`, collects until the server closes. */
function plainExchange(port: number, text: string): Promise<Buffer> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: "127.0.0.1" }, () => socket.write(text));
    const chunks: Buffer[] = [];
    socket.on("data", (d: Buffer) => chunks.push(d));
    socket.on("error", () => {});
    socket.on("close", () => resolve(Buffer.concat(chunks)));
  });
}

const V1 = "PROXY TCP4 192.0.2.10 127.0.0.1 51000 7443\r\n";

describe("PROXY protocol on the TLS listener", () => {
  test("header then TLS, with a pause and back to back: 1 MiB comes back each time", async () => {
    const echod = await spawnEchod([
      ...LOOPBACK_WITH_ADMIN,
      ...tlsListenerArgs(certs),
      "--proxy-protocol",
      "any",
      "--log-level",
      "debug",
    ]);
    const port = tlsPortOf(echod);
    const payload = randomPayload(1024 * 1024);
    for (const pauseMs of [200, 0]) {
      const out = await proxiedTls(port, V1, payload, { pauseMs });
      console.log(
        `TLS after a v1 header, pause ${pauseMs} ms: ${out.received.length} of ${payload.length} bytes back`,
      );
      expect(out.error).toBeNull();
      expect(out.received.length).toBe(payload.length);
      expect(sha256(out.received)).toBe(sha256(payload));
    }
    const m = await metrics(echod.metricsPort as number);
    expect(
      total(m, "echod_proxy_headers_total", { listener: "tls", version: "v1", result: "accepted" }),
    ).toBe(2);
    expect(
      total(m, "echod_connections_closed_total", { listener: "tls", reason: "peer_closed" }),
    ).toBe(2);
    expect(total(m, "echod_received_bytes_total", { listener: "tls" })).toBe(2 * payload.length);
    const closed = echod.lines.filter((l) => l.msg === "connection closed");
    expect(closed.map((l) => String(l.remote).replace(/via 127\.0\.0\.1:\d+$/, "via"))).toEqual([
      "192.0.2.10:51000 via",
      "192.0.2.10:51000 via",
    ]);
  });

  test("with --tls-ca, a client certificate is still required; a bad header is refused before TLS", async () => {
    const echod = await spawnEchod([
      ...LOOPBACK_WITH_ADMIN,
      ...tlsListenerArgs(certs),
      "--tls-ca",
      certs.path("ca.crt"),
      "--proxy-protocol",
      "v1",
    ]);
    const port = tlsPortOf(echod);
    const payload = randomPayload(64 * 1024);
    const served = await proxiedTls(port, V1, payload, { client: true });
    const refused = await proxiedTls(port, V1, payload);
    const badHeader = await plainExchange(port, "PROXY TCP9 nonsense\r\nhello");
    console.log(
      `with a client certificate: ${served.received.length} bytes back; without: ${refused.error}; bad header: ${badHeader.length} bytes back`,
    );
    expect(sha256(served.received)).toBe(sha256(payload));
    expect(refused.received.length).toBe(0);
    expect(badHeader.length).toBe(0);
    const m = await metrics(echod.metricsPort as number);
    expect(
      total(m, "echod_connections_closed_total", {
        listener: "tls",
        reason: "tls_handshake_failed",
      }),
    ).toBe(1);
    expect(
      total(m, "echod_connections_rejected_total", { listener: "tls", reason: "proxy_protocol" }),
    ).toBe(1);
    expect(
      total(m, "echod_proxy_headers_total", { listener: "tls", version: "v1", result: "accepted" }),
    ).toBe(2);
  });

  test("SIGHUP re-reads the certificate for TLS after the header; a source outside --proxy-protocol-from gets TLS at once", async () => {
    copyFileSync(certs.path("live.crt"), certs.path("one.crt"));
    copyFileSync(certs.path("live.key"), certs.path("one.key"));
    const echod = await spawnEchod([
      ...LOOPBACK_WITH_ADMIN,
      ...tlsListenerArgs(certs),
      "--proxy-protocol",
      "v1",
    ]);
    const port = tlsPortOf(echod);
    const payload = randomPayload(4096);
    const before = await proxiedTls(port, V1, payload);
    copyFileSync(certs.path("two.crt"), certs.path("live.crt"));
    copyFileSync(certs.path("two.key"), certs.path("live.key"));
    try {
      echod.kill("SIGHUP");
      await echod.waitForLine((l) => l.msg === "tls certificate reloaded");
      const after = await proxiedTls(port, V1, payload);
      console.log(`certificate serial before SIGHUP ${before.serial}, after ${after.serial}`);
      expect([before.serial, after.serial]).toEqual(["03E9", "07D2"]);
      expect(sha256(after.received)).toBe(sha256(payload));
    } finally {
      copyFileSync(certs.path("one.crt"), certs.path("live.crt"));
      copyFileSync(certs.path("one.key"), certs.path("live.key"));
    }
    const skipping = await spawnEchod([
      ...LOOPBACK_WITH_ADMIN,
      ...tlsListenerArgs(certs),
      "--proxy-protocol",
      "any",
      "--proxy-protocol-from",
      "10.0.0.0/8",
    ]);
    const plain = await sClient(tlsPortOf(skipping), "no header, straight to tls\n", {
      ca: certs.path("ca.crt"),
    });
    expect(plain.stdout).toBe("no header, straight to tls\n");
    const m = await metrics(skipping.metricsPort as number);
    expect(
      total(m, "echod_proxy_headers_total", {
        listener: "tls",
        version: "none",
        result: "skipped",
      }),
    ).toBe(1);
  });
});
