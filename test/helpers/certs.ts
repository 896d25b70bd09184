/**
 * Throw-away certificates for the TLS tests, made with the openssl command
 * line in a temp directory (never committed): a CA, server certificates
 * with distinct subjects and serials signed by it, and a client certificate.
 */
import { afterAll, beforeAll } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openssl, selfSign } from "../../bench/common/certs.ts";

export interface CertDir {
  readonly dir: string;
  path(name: string): string;
  /** A self-signed key and certificate that the CA did not sign: `${name}.key`, `${name}.crt`. */
  selfSigned(name: string, cn: string): void;
  /** A key and a certificate for `cn`, signed by the CA: `${name}.key`, `${name}.crt`. */
  issue(name: string, cn: string, serial: number, usage: "server" | "client"): void;
  remove(): void;
}

export function createCertDir(): CertDir {
  const dir = mkdtempSync(join(tmpdir(), "echod-tls-"));
  selfSign(dir, "ca", "echod test CA", ["-set_serial", "1"]);
  return {
    dir,
    path: (name) => join(dir, name),
    issue(name, cn, serial, usage) {
      writeFileSync(
        join(dir, `${name}.ext`),
        usage === "server"
          ? "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\nextendedKeyUsage=serverAuth\n"
          : "extendedKeyUsage=clientAuth\n",
      );
      const request = ["req", "-newkey", "rsa:2048", "-nodes", "-subj", `/CN=${cn}`];
      openssl([...request, "-keyout", `${name}.key`, "-out", `${name}.csr`], dir);
      openssl(
        ["x509", "-req", "-in", `${name}.csr`, "-CA", "ca.crt", "-CAkey", "ca.key"]
          .concat(["-set_serial", String(serial), "-days", "1", "-out", `${name}.crt`])
          .concat(["-extfile", `${name}.ext`]),
        dir,
      );
    },
    selfSigned: (name, cn) => selfSign(dir, name, cn),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A CertDir for a whole test file: made (then `setup`) before its first test, removed after its last. */
export function certDirForFile(setup: (certs: CertDir) => void): CertDir {
  let made: CertDir | undefined;
  beforeAll(() => {
    made = createCertDir();
    setup(made);
  });
  afterAll(() => made?.remove());
  const current = (): CertDir => {
    if (made === undefined) throw new Error("certDirForFile: the directory is made in beforeAll");
    return made;
  };
  return {
    get dir() {
      return current().dir;
    },
    path: (name) => current().path(name),
    selfSigned: (name, cn) => current().selfSigned(name, cn),
    issue: (name, cn, serial, usage) => current().issue(name, cn, serial, usage),
    remove: () => current().remove(),
  };
}

/** The flags for a TLS listener on a kernel-chosen port with `${name}.crt` and `${name}.key` from `certs`. */
export function tlsListenerArgs(certs: CertDir, name = "live"): string[] {
  const [cert, key] = [certs.path(`${name}.crt`), certs.path(`${name}.key`)];
  return ["--tls-port", "0", "--tls-cert", cert, "--tls-key", key];
}

export interface SClientResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number;
}

/**
 * `openssl s_client` against 127.0.0.1:port: sends `input`, keeps the
 * connection open `holdMs` so the echo can arrive, then closes stdin
 * (`-no_ign_eof` must come after `-quiet`, which turns ignoring EOF on).
 */
export async function sClient(
  port: number,
  input: string,
  {
    ca,
    cert,
    key,
    holdMs = 800,
  }: { ca?: string; cert?: string; key?: string; holdMs?: number } = {},
): Promise<SClientResult> {
  const args = ["s_client", "-connect", `127.0.0.1:${port}`, "-quiet", "-no_ign_eof"];
  if (ca) args.push("-CAfile", ca, "-verify_return_error");
  if (cert && key) args.push("-cert", cert, "-key", key);
  // stdin comes from a shell pipeline: the input, then a pause so the echo can arrive, then EOF.
  const proc = Bun.spawn(
    [
      "bash",
      "-c",
      `(printf '%s' "$INPUT"; sleep ${holdMs / 1000}) | openssl "$@"`,
      "s-client",
      ...args,
    ],
    { env: { ...process.env, INPUT: input }, stdout: "pipe", stderr: "pipe", timeout: 10_000 },
  );
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { stdout, stderr, code };
}

/** Subject and serial of the certificate a server presents, via s_client | x509. */
export function presentedCertificate(port: number): { subject: string; serial: string } {
  const result = Bun.spawnSync(
    [
      "bash",
      "-c",
      `openssl s_client -connect 127.0.0.1:${port} </dev/null 2>/dev/null | openssl x509 -noout -subject -serial`,
    ],
    { stdout: "pipe", stderr: "pipe", timeout: 10_000 },
  );
  const text = result.stdout.toString();
  return {
    subject: (/subject=\s*(.*)/.exec(text)?.[1] ?? "").replace(/\s*=\s*/g, "=").trim(),
    serial: /serial=\s*(.*)/.exec(text)?.[1]?.trim() ?? "",
  };
}
