/**
 * echod-bench's targets beyond plain TCP, each against echod's own listener
 * and against socat as a baseline: tls:// (server verified with --ca, mutual
 * TLS with --cert/--key, a wrong CA and a refused client certificate counted
 * as `tls` errors, churn reported as TLS handshakes), unix:/path, and
 * udp:// (every datagram verified; against a rate-limited echod the datagrams
 * counted lost are exactly those echod counts as dropped).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import dgram from "node:dgram";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import type { BenchResult } from "../../../bench/harness/aggregate.ts";
import { resolveConfig } from "../../../src/config.ts";
import { startUdpEcho } from "../../../src/echo/udp.ts";
import { certDirForFile } from "../../helpers/certs.ts";
import { spawnEchod, tlsPortOf } from "../../helpers/spawn-echod.ts";
import { expectSchema, jsonLine, runBench } from "../helpers.ts";

const certs = certDirForFile((c) => {
  c.issue("live", "localhost", 2, "server");
  c.issue("client", "echod-bench", 3, "client");
  c.selfSigned("other", "some other CA");
});
const started: { kill(): void }[] = [];
let dir = "";

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "echod-bench-targets-"));
});

afterAll(() => {
  for (const p of started.splice(0)) p.kill();
  rmSync(dir, { recursive: true, force: true });
});

function expectClean(r: BenchResult, transport: BenchResult["transport"]): void {
  expectSchema(r);
  expect(r.transport).toBe(transport);
  expect(r.errorsTotal).toBe(0);
  expect(r.messages.total).toBeGreaterThan(0);
  expect(r.bytes.total).toBe(r.messages.total * r.size);
  expect(r.latency.samples).toBe(r.messages.total);
}

async function echodWith(args: string[]) {
  const echod = await spawnEchod(["0", "--host", "127.0.0.1", "--no-metrics", ...args]);
  started.push({ kill: () => echod.proc.kill("SIGKILL") });
  return echod;
}

/** A port free a moment ago, for socat (which cannot report a port it chose). */
function freePort(): Promise<number> {
  return new Promise((ok) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => ok(port));
    });
  });
}

/** socat echoing every connection (or datagram) back with PIPE; waits until `ready` succeeds. */
async function socat(listen: string, ready: () => Promise<boolean>): Promise<Subprocess> {
  const proc = Bun.spawn(["socat", listen, "PIPE"], { stdout: "ignore", stderr: "pipe" });
  started.push({ kill: () => proc.kill() });
  for (let i = 0; i < 100 && !(await ready()); i++) await Bun.sleep(50);
  return proc;
}

const canConnect = (where: { port: number } | { path: string }) => () =>
  new Promise<boolean>((ok) => {
    const s = net.connect(where as net.NetConnectOpts, () => {
      s.destroy();
      ok(true);
    });
    s.on("error", () => ok(false));
  });

describe("tls://", () => {
  test("against echod's TLS listener: verified with --ca and --servername, every byte checked", async () => {
    const echod = await echodWith(
      ["--tls-port", "0", "--tls-cert", certs.path("live.crt")].concat([
        "--tls-key",
        certs.path("live.key"),
      ]),
    );
    const target = `tls://127.0.0.1:${tlsPortOf(echod)}`;
    const run = await runBench(
      [target, "--ca", certs.path("ca.crt"), "--servername", "localhost"].concat([
        "-c",
        "4",
        "-p",
        "4",
        "-d",
        "1",
        "-j",
      ]),
    );
    expect(run.code).toBe(0);
    const r = jsonLine(run);
    expectClean(r, "tls");
    expect(r.target).toBe(target);

    const churn = await runBench(
      [target, "--ca", certs.path("ca.crt"), "-c", "2", "--churn"].concat(["-d", "1", "-j"]),
    );
    expect(churn.code).toBe(0);
    const c = jsonLine(churn);
    expectClean(c, "tls");
    expect(c.churn?.connections.total).toBeGreaterThan(5);
    expect(churn.stderr).toMatch(/TLS handshakes\s*│/);
    expect(churn.stderr).toContain(
      `${c.churn?.connections.total.toLocaleString("en-US")} TLS handshakes`,
    );

    // A CA that did not sign the server's certificate: every attempt is a tls error, nothing echoed.
    const wrong = await runBench([
      target,
      "--ca",
      certs.path("other.crt"),
      "-c",
      "2",
      "-d",
      "1",
      "-j",
    ]);
    expect(wrong.code).toBe(1);
    const w = jsonLine(wrong);
    expect(w.errors.tls).toBeGreaterThan(0);
    expect(w.errorsTotal).toBe(w.errors.tls);
    expect(w.messages.total).toBe(0);
    expect(wrong.stderr).toMatch(/tls\s*│\s*\d+\s*│ a TLS handshake failed/);

    const insecure = await runBench(
      [target, "--ca", certs.path("other.crt"), "--insecure"].concat([
        "-c",
        "2",
        "-d",
        "0.5",
        "-j",
      ]),
    );
    expect(insecure.code).toBe(0);
    expectClean(jsonLine(insecure), "tls");
  });

  test("mutual TLS: with --cert and --key clean; without, the refused handshakes are tls errors", async () => {
    const echod = await echodWith(
      ["--tls-port", "0", "--tls-cert", certs.path("live.crt")].concat([
        "--tls-key",
        certs.path("live.key"),
        "--tls-ca",
        certs.path("ca.crt"),
      ]),
    );
    const base = [`tls://127.0.0.1:${tlsPortOf(echod)}`, "--ca", certs.path("ca.crt"), "-c", "2"];
    const withCert = await runBench(
      [...base, "--cert", certs.path("client.crt")].concat([
        "--key",
        certs.path("client.key"),
        "-d",
        "1",
        "-j",
      ]),
    );
    expect(withCert.code).toBe(0);
    expectClean(jsonLine(withCert), "tls");
    const without = await runBench([...base, "-d", "1", "-j"]);
    expect(without.code).toBe(1);
    const r = jsonLine(without);
    expect(r.errors.tls).toBeGreaterThan(0);
    expect(r.errorsTotal).toBe(r.errors.tls);
    expect(r.messages.total).toBe(0);
  });

  test("against socat's TLS echo (a baseline)", async () => {
    const port = await freePort();
    await socat(
      `OPENSSL-LISTEN:${port},bind=127.0.0.1,reuseaddr,fork,verify=0,cert=${certs.path("live.crt")},key=${certs.path("live.key")}`,
      canConnect({ port }),
    );
    const run = await runBench(
      [`tls://127.0.0.1:${port}`, "--ca", certs.path("ca.crt")].concat([
        "-c",
        "2",
        "-p",
        "2",
        "-d",
        "1",
        "-j",
      ]),
    );
    expect(run.code).toBe(0);
    expectClean(jsonLine(run), "tls");
  });

  test("TLS flags are refused on other targets, and --cert needs --key", async () => {
    const plain = await runBench(["127.0.0.1:9", "--ca", certs.path("ca.crt")]);
    expect(plain.code).toBe(2);
    expect(plain.stderr).toContain("--ca");
    expect(plain.stderr).toContain("applies to a tls:// target only");
    const half = await runBench(["tls://127.0.0.1:9", "--cert", certs.path("client.crt")]);
    expect(half.code).toBe(2);
    expect(half.stderr).toContain("needs --key too");
  });
});

describe("unix:", () => {
  test("against echod's Unix socket and against socat's", async () => {
    const path = join(dir, "echod.sock");
    await echodWith(["--unix", path]);
    const run = await runBench([`unix:${path}`, "-c", "4", "-p", "8", "-d", "1", "-j"]);
    expect(run.code).toBe(0);
    const r = jsonLine(run);
    expectClean(r, "unix");
    expect(r.target).toBe(`unix:${path}`);

    const other = join(dir, "socat.sock");
    await socat(`UNIX-LISTEN:${other},fork`, canConnect({ path: other }));
    const baseline = await runBench([`unix:${other}`, "-c", "2", "-d", "1", "-j"]);
    expect(baseline.code).toBe(0);
    expectClean(jsonLine(baseline), "unix");
  });
});

describe("udp://", () => {
  test("against echod without a rate limit: every datagram echoed and verified, exit 0", async () => {
    const server = await startUdpEcho(resolveConfig({ host: "127.0.0.1", udpRateLimit: 0 }), 0);
    try {
      const run = await runBench([
        `udp://127.0.0.1:${server.port}`,
        "-c",
        "4",
        "-p",
        "4",
        "-d",
        "1",
        "-j",
      ]);
      expect(run.code).toBe(0);
      const r = jsonLine(run);
      expectClean(r, "udp");
      // Every datagram echoed was one echod sent (and counted), none lost.
      expect(server.stats.datagramsOut).toBeGreaterThanOrEqual(r.messages.total);
      const amount = await runBench([
        `udp://127.0.0.1:${server.port}`,
        "-c",
        "2",
        "-p",
        "8",
        "-a",
        "3000",
        "-w",
        "2",
        "-j",
      ]);
      expect(amount.code).toBe(0);
      expect(jsonLine(amount).messages.total).toBe(3000);
    } finally {
      server.stop();
    }
  });

  test("against a rate-limited echod: lost datagrams equal echod's rate_limited drops exactly", async () => {
    const server = await startUdpEcho(resolveConfig({ host: "127.0.0.1", udpRateLimit: 100 }), 0);
    try {
      // 400 datagrams/s from one source address for 2 s, where echod echoes 100/s to it.
      const run = await runBench(
        [`udp://127.0.0.1:${server.port}`, "-c", "2", "-R", "400"].concat([
          "-d",
          "2",
          "--timeout",
          "0.5",
          "-j",
        ]),
      );
      expect(run.code).toBe(1);
      const r = jsonLine(run);
      expectSchema(r);
      const stats = server.stats;
      expect(stats.dropped.rate_limited).toBeGreaterThan(300);
      expect(r.errors.lost).toBe(stats.dropped.rate_limited);
      expect(r.messages.total).toBe(stats.datagramsOut);
      expect(r.messages.total + r.errors.lost).toBe(stats.datagramsIn);
      expect(r.errorsTotal).toBe(r.errors.lost);
    } finally {
      server.stop();
    }
  });

  test("a UDP echo that corrupts a byte: counted as mismatches (socat baseline clean)", async () => {
    const bad = dgram.createSocket("udp4");
    let n = 0;
    bad.on("message", (msg, from) => {
      if (++n % 10 === 0) msg[msg.length - 1] = (msg[msg.length - 1] as number) ^ 1;
      bad.send(msg, from.port, from.address);
    });
    await new Promise<void>((ok) => bad.bind(0, "127.0.0.1", ok));
    try {
      const run = await runBench([
        `udp://127.0.0.1:${bad.address().port}`,
        "-c",
        "1",
        "-a",
        "100",
        "--timeout",
        "0.2",
        "-j",
      ]);
      expect(run.code).toBe(1);
      const r = jsonLine(run);
      expect(r.errors.mismatch).toBe(10);
      // A corrupted echo leaves its datagram in flight, to be counted lost too.
      expect(r.errors.lost).toBe(10);
      expect(r.messages.total).toBe(90);
    } finally {
      bad.close();
    }
    const port = await freePort();
    await socat(`UDP-LISTEN:${port},bind=127.0.0.1,reuseaddr,fork`, async () => true);
    await Bun.sleep(200);
    // socat's PIPE is a byte stream: two datagrams in flight can come back as one, so ping-pong.
    const baseline = await runBench([`udp://127.0.0.1:${port}`, "-c", "1", "-d", "1", "-j"]);
    expect(baseline.code).toBe(0);
    expectClean(jsonLine(baseline), "udp");
  });

  test("--churn and sizes below 4 bytes are refused for udp://", async () => {
    expect((await runBench(["udp://127.0.0.1:9", "--churn"])).code).toBe(2);
    const small = await runBench(["udp://127.0.0.1:9", "-s", "3"]);
    expect(small.code).toBe(2);
    expect(small.stderr).toContain("must be 4 to 65507 bytes for a udp:// target");
  });
});
