/**
 * The TLS listener through the real CLI and `openssl s_client`: echo over
 * TLS, client certificates with --tls-ca, certificates re-read on SIGHUP
 * while an open connection keeps echoing, and bad files refused with one
 * line naming the file.
 */
import { describe, expect, test } from "bun:test";
import { copyFileSync, writeFileSync } from "node:fs";
import tls from "node:tls";
import {
  certDirForFile,
  presentedCertificate,
  sClient,
  tlsListenerArgs,
} from "../helpers/certs.ts";
import {
  type Echod,
  LOOPBACK,
  runEchod,
  spawnKilledAfterEach,
  tlsPortOf,
} from "../helpers/spawn-echod.ts";

const spawnEchod = spawnKilledAfterEach();

const certs = certDirForFile((dir) => {
  dir.issue("one", "echod one", 1001, "server");
  dir.issue("two", "echod two", 2002, "server");
  dir.issue("client", "a client", 3003, "client");
  dir.selfSigned("rogue", "not from the CA");
  copyFileSync(dir.path("one.crt"), dir.path("live.crt"));
  copyFileSync(dir.path("one.key"), dir.path("live.key"));
});

async function startTls(extra: string[] = []): Promise<{ echod: Echod; port: number }> {
  const echod = await spawnEchod([...LOOPBACK, ...tlsListenerArgs(certs), ...extra]);
  return { echod, port: tlsPortOf(echod) };
}

async function stop(echod: Echod): Promise<void> {
  echod.kill();
  expect(await echod.exited).toBe(0);
}

describe("TLS listener", () => {
  test("openssl s_client gets its line echoed, and the certificate verifies against the CA", async () => {
    const { echod, port } = await startTls();
    const result = await sClient(port, "hello over tls\n", { ca: certs.path("ca.crt") });
    expect(result.stdout).toBe("hello over tls\n");
    expect(result.stderr).not.toMatch(/verify error/);
    // The plain TCP listener is still there beside it.
    const plain = Bun.spawnSync(
      ["bash", "-c", `printf 'plain\\n' | nc -N 127.0.0.1 ${echod.port}`],
      {
        stdout: "pipe",
        timeout: 5000,
      },
    );
    expect(plain.stdout.toString()).toBe("plain\n");
    await stop(echod);
  });

  test("with --tls-ca a client without a certificate is refused, one with a CA-signed certificate is served", async () => {
    const { echod, port } = await startTls([
      "--tls-ca",
      certs.path("ca.crt"),
      "--log-level",
      "debug",
    ]);
    const without = await sClient(port, "no cert\n", { ca: certs.path("ca.crt") });
    expect(without.stdout).not.toContain("no cert");
    expect(without.stderr).toContain("certificate required");
    await echod.waitForLine(
      (l) => l.msg === "connection closed" && l.reason === "tls_handshake_failed",
    );
    const withCert = await sClient(port, "with cert\n", {
      ca: certs.path("ca.crt"),
      cert: certs.path("client.crt"),
      key: certs.path("client.key"),
    });
    expect(withCert.stdout).toBe("with cert\n");
    // A certificate the CA did not sign is refused too.
    const selfSigned = await sClient(port, "wrong ca\n", {
      ca: certs.path("ca.crt"),
      cert: certs.path("rogue.crt"),
      key: certs.path("rogue.key"),
    });
    expect(selfSigned.stdout).not.toContain("wrong ca");
    await stop(echod);
  });

  test("SIGHUP re-reads the certificate: new connections see it, an open one keeps echoing", async () => {
    copyFileSync(certs.path("one.crt"), certs.path("live.crt"));
    copyFileSync(certs.path("one.key"), certs.path("live.key"));
    const { echod, port } = await startTls();
    expect(presentedCertificate(port)).toEqual({ subject: "CN=echod one", serial: "03E9" });

    const open = tls.connect({ port, host: "127.0.0.1", rejectUnauthorized: false });
    await new Promise((r) => open.once("secureConnect", r));
    let echoed = "";
    open.on("data", (d: Buffer) => {
      echoed += d.toString();
    });
    open.write("before ");

    copyFileSync(certs.path("two.crt"), certs.path("live.crt"));
    copyFileSync(certs.path("two.key"), certs.path("live.key"));
    echod.kill("SIGHUP");
    await echod.waitForLine((l) => l.msg === "tls certificate reloaded");
    expect(presentedCertificate(port)).toEqual({ subject: "CN=echod two", serial: "07D2" });

    open.write("after");
    const deadline = performance.now() + 5000;
    while (echoed !== "before after" && performance.now() < deadline) await Bun.sleep(10);
    expect(echoed).toBe("before after");
    expect(open.getPeerCertificate().subject.CN).toBe("echod one");
    open.end();

    // A bad file at reload is logged and the current certificate stays.
    writeFileSync(certs.path("live.crt"), "not a certificate\n");
    echod.kill("SIGHUP");
    const failed = await echod.waitForLine(
      (l) => l.msg === "tls reload failed; keeping the old certificate",
    );
    expect(String(failed.err)).toContain(certs.path("live.crt"));
    expect(presentedCertificate(port).subject).toBe("CN=echod two");
    const still = await sClient(port, "still serving\n");
    expect(still.stdout).toBe("still serving\n");
    await stop(echod);
    copyFileSync(certs.path("one.crt"), certs.path("live.crt"));
  }, 30_000);
});

describe("bad TLS files exit 2 with one line naming the file", () => {
  const cases: [string, () => string[], RegExp][] = [
    [
      "a missing certificate",
      () => ["--tls-cert", certs.path("nope.crt"), "--tls-key", certs.path("one.key")],
      /--tls-cert ".*nope\.crt" cannot be read: no such file/,
    ],
    [
      "a key that is not PEM",
      () => ["--tls-cert", certs.path("one.crt"), "--tls-key", certs.path("one.ext")],
      /--tls-key ".*one\.ext" is not a PEM file/,
    ],
    [
      "a key that does not match the certificate",
      () => ["--tls-cert", certs.path("one.crt"), "--tls-key", certs.path("two.key")],
      /--tls-key ".*two\.key" does not match the certificate in .*one\.crt/,
    ],
    [
      "a CA bundle that is a key",
      () => [
        "--tls-cert",
        certs.path("one.crt"),
        "--tls-key",
        certs.path("one.key"),
        "--tls-ca",
        certs.path("ca.key"),
      ],
      /--tls-ca ".*ca\.key" is not a PEM certificate/,
    ],
  ];
  for (const [what, args, message] of cases) {
    test(what, async () => {
      const { code, stderr } = await runEchod([...LOOPBACK, "--tls-port", "0", ...args()]);
      expect(code).toBe(2);
      const lines = stderr.trimEnd().split("\n");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^echod: /);
      expect(lines[0]).toMatch(message);
    });
  }
});
