/**
 * SIGHUP with bad TLS files, on a single spawned echod: a certificate file
 * that is garbage, one with a PEM header over garbage, a missing
 * certificate, a key that does not match the certificate, an empty key
 * file. After each SIGHUP echod must log `tls reload failed; keeping the
 * old certificate` naming the bad file, keep serving the certificate it had
 * (checked by its SHA-256 fingerprint, as a new client sees it) and keep
 * echoing over TLS; after the good files are back, the next SIGHUP must
 * load them (the other certificate's fingerprint is then served), so a
 * failed reload leaves nothing stuck.
 */
import { expect, test } from "bun:test";
import { X509Certificate } from "node:crypto";
import { copyFileSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { certDirForFile, sClient, tlsListenerArgs } from "../helpers/certs.ts";
import { waitFor } from "../helpers/net-client.ts";
import { type Echod, LOOPBACK, spawnKilledAfterEach, tlsPortOf } from "../helpers/spawn-echod.ts";
import { openFds } from "./tools.ts";

const spawnEchod = spawnKilledAfterEach();
const certs = certDirForFile((dir) => {
  dir.issue("a", "echod reload a", 5005, "server");
  dir.issue("b", "echod reload b", 6006, "server");
});

/** The SHA-256 fingerprint of a PEM certificate file, as node:crypto writes it (AA:BB:...). */
function fingerprintOf(name: string): string {
  return new X509Certificate(readFileSync(certs.path(name))).fingerprint256;
}

/** The SHA-256 fingerprint of the certificate a new client is served on `port`. */
function servedFingerprint(port: number): string {
  const result = Bun.spawnSync(
    [
      "bash",
      "-c",
      `openssl s_client -connect 127.0.0.1:${port} </dev/null 2>/dev/null | openssl x509 -noout -fingerprint -sha256`,
    ],
    { stdout: "pipe", stderr: "pipe", timeout: 10_000 },
  );
  return /Fingerprint=(.*)/i.exec(result.stdout.toString())?.[1]?.trim() ?? "";
}

/** Puts the certificate and key of `name` in place as live.crt and live.key. */
function install(name: string): void {
  copyFileSync(certs.path(`${name}.crt`), certs.path("live.crt"));
  copyFileSync(certs.path(`${name}.key`), certs.path("live.key"));
}

/** Sends SIGHUP and waits for the `count`-th log line with message `msg`. */
async function hup(echod: Echod, msg: string, count: number): Promise<Record<string, unknown>> {
  echod.kill("SIGHUP");
  const deadline = performance.now() + 5000;
  for (;;) {
    const lines = echod.lines.filter((l) => l.msg === msg);
    if (lines.length >= count) return lines[count - 1] as Record<string, unknown>;
    if (performance.now() > deadline)
      throw new Error(`no ${count}th "${msg}" line: ${echod.stderr()}`);
    await Bun.sleep(20);
  }
}

interface BadFile {
  readonly what: string;
  /** Spoils the live files (the certificate `current` is installed). */
  readonly spoil: (current: string, other: string) => void;
  /** The file the error must name, and the complaint about it. */
  readonly names: "live.crt" | "live.key";
  readonly complaint: RegExp;
}

const BAD: BadFile[] = [
  {
    what: "a certificate file of garbage",
    spoil: () => writeFileSync(certs.path("live.crt"), "not a certificate\n"),
    names: "live.crt",
    complaint: /is not a PEM file/,
  },
  {
    what: "a PEM header over garbage",
    spoil: () =>
      writeFileSync(
        certs.path("live.crt"),
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
      ),
    names: "live.crt",
    complaint: /is not a PEM certificate/,
  },
  {
    what: "a missing certificate",
    spoil: () => rmSync(certs.path("live.crt")),
    names: "live.crt",
    complaint: /cannot be read: no such file/,
  },
  {
    what: "a key that does not match the certificate",
    spoil: (_current, other) => copyFileSync(certs.path(`${other}.key`), certs.path("live.key")),
    names: "live.key",
    complaint: /does not match the certificate/,
  },
  {
    what: "an empty key file",
    spoil: () => writeFileSync(certs.path("live.key"), ""),
    names: "live.key",
    complaint: /is not a PEM file/,
  },
];

test(`SIGHUP with ${BAD.length} kinds of bad TLS file keeps the old certificate and logs the file; the next good SIGHUP reloads`, async () => {
  install("a");
  const echod = await spawnEchod([...LOOPBACK, ...tlsListenerArgs(certs)]);
  const port = tlsPortOf(echod);
  const prints = { a: fingerprintOf("a.crt"), b: fingerprintOf("b.crt") };
  expect(prints.a).not.toBe(prints.b);
  expect(servedFingerprint(port)).toBe(prints.a);
  const fdsBefore = openFds(echod.proc.pid);

  let current: "a" | "b" = "a";
  const outcomes: string[] = [];
  for (const [i, bad] of BAD.entries()) {
    const other: "a" | "b" = current === "a" ? "b" : "a";
    bad.spoil(current, other);
    const failed = await hup(echod, "tls reload failed; keeping the old certificate", i + 1);
    const served = servedFingerprint(port);
    const echo = await sClient(port, `after ${bad.what}\n`, { ca: certs.path("ca.crt") });
    expect(String(failed.err)).toContain(certs.path(bad.names));
    expect(String(failed.err)).toMatch(bad.complaint);
    expect(`${bad.what}: ${served}`).toBe(`${bad.what}: ${prints[current]}`);
    expect(echo.stdout).toBe(`after ${bad.what}\n`);

    // Good files again (the other certificate, so the reload shows): the next SIGHUP takes them.
    install(other);
    await hup(echod, "tls certificate reloaded", i + 1);
    const reloaded = servedFingerprint(port);
    expect(`${bad.what}, then good files: ${reloaded}`).toBe(
      `${bad.what}, then good files: ${prints[other]}`,
    );
    outcomes.push(`${bad.what}: kept ${current}, then reloaded ${other}`);
    current = other;
  }
  // Each reload replaces the listening socket: the old ones must not pile up.
  // (the last check's connection may still be closing: give it a moment)
  await waitFor(() => openFds(echod.proc.pid) === fdsBefore, 2000);
  const fdsAfter = openFds(echod.proc.pid);
  console.log(
    `sighup bad files: ${BAD.length} bad reloads refused and ${BAD.length} good ones taken; open descriptors ${fdsBefore} before, ${fdsAfter} after; ${outcomes.join("; ")}; errors: ${echod.lines
      .filter((l) => l.msg === "tls reload failed; keeping the old certificate")
      .map((l) => String(l.err).replaceAll(certs.dir, "$DIR"))
      .join(" | ")}`,
  );
  expect(fdsAfter).toBe(fdsBefore);
  expect(echod.proc.exitCode).toBeNull();
  echod.kill("SIGTERM");
  expect(await echod.exited).toBe(0);
}, 40_000);
