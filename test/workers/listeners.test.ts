/**
 * Every listener under `--workers 2`: TLS on a port shared by both workers
 * (and re-read on SIGHUP in each), the Unix socket and UDP in worker 0, and
 * /metrics summing each listener over the workers.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync } from "node:fs";
import { join } from "node:path";
import tls from "node:tls";
import { type CertDir, createCertDir, tlsListenerArgs } from "../helpers/certs.ts";
import { parseSamples, sample, scrape } from "../helpers/prom-text.ts";
import { LOOPBACK_WITH_ADMIN, spawnKilledAfterEach, tlsPortOf } from "../helpers/spawn-echod.ts";

let certs: CertDir;
const spawnEchod = spawnKilledAfterEach();

beforeAll(() => {
  certs = createCertDir();
  certs.issue("one", "echod one", 1001, "server");
  certs.issue("two", "echod two", 2002, "server");
  copyFileSync(certs.path("one.crt"), certs.path("live.crt"));
  copyFileSync(certs.path("one.key"), certs.path("live.key"));
});
afterAll(() => certs.remove());

/** One TLS round trip; resolves with the echo and the certificate's common name. */
function tlsEcho(
  port: number,
  text: string,
): Promise<{ echo: string; cn: string; localPort: number }> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ port, host: "127.0.0.1", rejectUnauthorized: false }, () => {
      const cn = String(socket.getPeerCertificate().subject?.CN ?? "");
      let echo = "";
      socket.on("data", (d: Buffer) => {
        echo += d.toString();
        if (echo.length >= text.length) {
          const localPort = socket.localPort ?? 0;
          socket.end();
          resolve({ echo, cn, localPort });
        }
      });
      socket.write(text);
    });
    socket.on("error", reject);
  });
}

function sh(script: string): string {
  const result = Bun.spawnSync(["bash", "-c", script], { stdout: "pipe", timeout: 10_000 });
  return result.stdout.toString();
}

describe("--workers 2 with TLS, Unix and UDP", () => {
  test("each listener echoes, /metrics sums it over the workers, and SIGHUP reloads TLS in every worker", async () => {
    const unix = join(certs.dir, "echod.sock");
    const echod = await spawnEchod([
      ...LOOPBACK_WITH_ADMIN,
      "--workers",
      "2",
      ...tlsListenerArgs(certs),
      "--unix",
      unix,
      "--udp-port",
      "0",
    ]);
    const started = echod.lines.find((l) => l.msg === "echod listening") as {
      listeners: Record<string, string>;
      workers: number[];
    };
    const tlsPort = tlsPortOf(echod);
    const udpPort = Number(started.listeners.udp?.split(":").pop());
    expect(started.listeners.unix).toBe(unix);

    // 16 TLS connections in turn, both workers among their owners.
    const texts = Array.from({ length: 16 }, (_, i) => `tls message ${i}\n`);
    let tlsBytes = 0;
    for (const text of texts) {
      const { echo, cn } = await tlsEcho(tlsPort, text);
      expect(echo).toBe(text);
      expect(cn).toBe("echod one");
      tlsBytes += text.length;
    }
    expect(sh(`printf 'over unix\\n' | socat -t 2 - UNIX-CONNECT:${unix}`)).toBe("over unix\n");
    expect(sh(`printf 'over udp\\n' | socat -t 1 - UDP:127.0.0.1:${udpPort}`)).toBe("over udp\n");

    await Bun.sleep(100);
    const s = parseSamples(await (await scrape(echod.metricsPort ?? 0)).text());
    expect(sample(s, 'echod_received_bytes_total{listener="tls"}')).toBe(tlsBytes);
    expect(sample(s, 'echod_connections_accepted_total{listener="tls"}')).toBe(16);
    expect(sample(s, 'echod_received_bytes_total{listener="unix"}')).toBe("over unix\n".length);
    expect(sample(s, 'echod_received_bytes_total{listener="udp"}')).toBe("over udp\n".length);
    expect(sample(s, "echod_workers")).toBe(2);

    // Both workers serve TLS: hold 12 connections open and ask `ss` who owns them.
    const held = await Promise.all(
      Array.from(
        { length: 12 },
        () =>
          new Promise<tls.TLSSocket>((resolve, reject) => {
            const socket = tls.connect(
              { port: tlsPort, host: "127.0.0.1", rejectUnauthorized: false },
              () => resolve(socket),
            );
            socket.on("error", reject);
          }),
      ),
    );
    const owners = new Set(
      [...sh(`ss -Htnp state established '( sport = :${tlsPort} )'`).matchAll(/pid=(\d+)/g)].map(
        (m) => Number(m[1]),
      ),
    );
    expect([...owners].sort()).toEqual([...started.workers].sort());
    for (const socket of held) socket.destroy();

    copyFileSync(certs.path("two.crt"), certs.path("live.crt"));
    copyFileSync(certs.path("two.key"), certs.path("live.key"));
    echod.kill("SIGHUP");
    // The primary logs "reloaded" once, and only after every worker said it uses the new files.
    const reloaded = await echod.waitForLine(
      (l) => l.msg === "tls certificate reloaded" && l.worker === undefined,
      5000,
    );
    expect(reloaded.pid).toBe(echod.proc.pid);
    for (let i = 0; i < 8; i++) {
      const { echo, cn } = await tlsEcho(tlsPort, "after reload\n");
      expect(echo).toBe("after reload\n");
      expect(cn).toBe("echod two");
    }

    echod.kill("SIGTERM");
    expect(await echod.exited).toBe(0);
  }, 60_000);
});
