/**
 * --banner on every stream listener, from real clients: nc on TCP, socat on
 * the Unix socket, openssl s_client on TLS. Every placeholder is filled in
 * (the Downward API variables set in the environment); the banner comes
 * first, then the echo, and the counters balance with banner bytes
 * counted apart. --whoami-line with line framing answers that one line with
 * the banner, in order with the echo around it (GET /whoami:
 * test/admin/whoami.test.ts).
 */
import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import pkg from "../../package.json" with { type: "json" };
import { certDirForFile, sClient, tlsListenerArgs } from "../helpers/certs.ts";
import { ncExchange } from "../helpers/net-client.ts";
import {
  killQuietly,
  LOOPBACK_WITH_ADMIN,
  runCommand,
  spawnKilledAfterEach,
  tlsPortOf,
} from "../helpers/spawn-echod.ts";
import { metrics, total } from "../hostile/tools.ts";

const spawn = spawnKilledAfterEach();
const certs = certDirForFile((c) => c.issue("live", "localhost", 2, "server"));
const ENV = { POD_NAME: "echod-7d9f-x2", POD_NAMESPACE: "edge", NODE_NAME: "node-3" };
const TEMPLATE =
  "h={hostname} p={pod} ns={namespace} n={node} v={version} l={listener} r={remote} L={local}\\r\\n";

function expected(listener: string, remote: string, local: string): string {
  return `h=${hostname()} p=echod-7d9f-x2 ns=edge n=node-3 v=${pkg.version} l=${listener} r=${remote} L=${local}\r\n`;
}

describe("--banner", () => {
  test("TCP, TLS and Unix clients get the banner with every placeholder filled, then their echo; the counters balance", async () => {
    const dir = mkdtempSync(join(tmpdir(), "echod-banner-"));
    try {
      const unix = join(dir, "echo.sock");
      const echod = await spawn(
        [...LOOPBACK_WITH_ADMIN, ...tlsListenerArgs(certs), "--unix", unix, "--banner", TEMPLATE],
        { env: ENV },
      );
      const tcp = await ncExchange(echod.port, "ping\n");
      const tcpRemote = /r=(127\.0\.0\.1:\d+) /.exec(tcp)?.[1] ?? "none";
      expect(tcp).toBe(`${expected("tcp", tcpRemote, `127.0.0.1:${echod.port}`)}ping\n`);

      const tlsPort = tlsPortOf(echod);
      const tls = await sClient(tlsPort, "over tls\n", { ca: certs.path("ca.crt") });
      const tlsRemote = /r=(127\.0\.0\.1:\d+) /.exec(tls.stdout)?.[1] ?? "none";
      expect(tls.stdout).toBe(`${expected("tls", tlsRemote, `127.0.0.1:${tlsPort}`)}over tls\n`);

      const viaSocat = await runCommand(
        ["bash", "-c", `(printf 'on unix\\n'; sleep 0.5) | socat - UNIX-CONNECT:${unix}`],
        {},
        5000,
      );
      expect(viaSocat.stdout).toBe(`${expected("unix", "unix", unix)}on unix\n`);
      console.log(`banner on tcp: ${JSON.stringify(tcp.split("\r\n")[0])}`);

      const m = await metrics(echod.metricsPort as number);
      const received = total(m, "echod_received_bytes_total");
      const banner = total(m, "echod_banner_bytes_total");
      const bannerBytes = [tcp, tls.stdout, viaSocat.stdout].reduce(
        (sum, text) => sum + Buffer.byteLength(text.slice(0, text.indexOf("\r\n") + 2)),
        0,
      );
      expect(banner).toBe(bannerBytes);
      expect(received).toBe("ping\n".length + "over tls\n".length + "on unix\n".length);
      expect(total(m, "echod_sent_bytes_total")).toBe(received + banner);
      expect(total(m, "echod_discarded_bytes_total") + total(m, "echod_buffered_bytes")).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a banner without {remote} or {local} is the same bytes on every connection; without the variables the fields are empty", async () => {
    const echod = await spawn([...LOOPBACK_WITH_ADMIN, "--banner", "[{pod}|{node}] {listener}\\n"]);
    const first = await ncExchange(echod.port, "a\n");
    const second = await ncExchange(echod.port, "b\n");
    expect(first).toBe("[|] tcp\na\n");
    expect(second).toBe("[|] tcp\nb\n");
  });

  test("with --whoami-line WHOAMI and line framing, that exact line gets the banner, other lines their echo, in order", async () => {
    const echod = await spawn(
      [
        ...LOOPBACK_WITH_ADMIN,
        "--framing",
        "line",
        "--banner",
        "I am {pod}\\n",
        "--whoami-line",
        "WHOAMI",
      ],
      { env: ENV },
    );
    const input = "one\nWHOAMI\nWHOAMI?\r\nWHOAMI\r\nxWHOAMI\nlast";
    const reply = await ncExchange(echod.port, input);
    expect(reply).toBe(
      "I am echod-7d9f-x2\none\nI am echod-7d9f-x2\nWHOAMI?\r\nI am echod-7d9f-x2\nxWHOAMI\nlast",
    );
    const m = await metrics(echod.metricsPort as number);
    const received = total(m, "echod_received_bytes_total");
    const banner = total(m, "echod_banner_bytes_total");
    const discarded = total(m, "echod_discarded_bytes_total");
    expect(received).toBe(input.length);
    expect(banner).toBe(3 * "I am echod-7d9f-x2\n".length);
    expect(discarded).toBe("WHOAMI\n".length + "WHOAMI\r\n".length);
    expect(total(m, "echod_sent_bytes_total")).toBe(reply.length);
    expect(received + banner).toBe(total(m, "echod_sent_bytes_total") + discarded);
    expect(total(m, "echod_messages_total")).toBe(4);
  });

  test("with --workers 2 every connection gets the banner, and the daemon's banner bytes add up over the workers", async () => {
    const echod = await spawn(
      [...LOOPBACK_WITH_ADMIN, "--workers", "2", "--banner", "hi {pod}\\n"],
      {
        env: ENV,
      },
    );
    try {
      const replies = await Promise.all(
        Array.from({ length: 8 }, (_, i) => ncExchange(echod.port, `n${i}\n`)),
      );
      expect(replies).toEqual(replies.map((_, i) => `hi echod-7d9f-x2\nn${i}\n`));
      const m = await metrics(echod.metricsPort as number);
      expect(total(m, "echod_banner_bytes_total")).toBe(8 * "hi echod-7d9f-x2\n".length);
      expect(total(m, "echod_sent_bytes_total")).toBe(
        total(m, "echod_received_bytes_total") + total(m, "echod_banner_bytes_total"),
      );
    } finally {
      for (const pid of (echod.started.workers as number[] | undefined) ?? []) killQuietly(pid);
    }
  });
  test("behind --proxy-protocol v1, {remote} is the client the header named, in the banner and the --whoami-line answer", async () => {
    const echod = await spawn([
      ...LOOPBACK_WITH_ADMIN,
      "--proxy-protocol",
      "v1",
      "--framing",
      "line",
      "--banner",
      "r={remote} L={local}\\n",
      "--whoami-line",
      "WHOAMI",
    ]);
    const header = `PROXY TCP4 192.0.2.7 127.0.0.1 40123 ${echod.port}\r\n`;
    const got = await ncExchange(echod.port, `${header}ping\nWHOAMI\n`);
    const banner = `r=192.0.2.7:40123 L=127.0.0.1:${echod.port}\n`;
    expect(got).toBe(`${banner}ping\n${banner}`);
  });
});
