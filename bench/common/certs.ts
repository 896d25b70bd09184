/**
 * Throw-away certificates made with the openssl command line, for the TLS
 * soak runs and the TLS tests (test/helpers/certs.ts builds its CA on this).
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Runs `openssl ARGS` in `cwd`; throws with openssl's stderr when it fails. */
export function openssl(args: readonly string[], cwd: string): void {
  const result = Bun.spawnSync(["openssl", ...args], { cwd, stdout: "pipe", stderr: "pipe" });
  if (result.exitCode !== 0) {
    throw new Error(`openssl ${args.join(" ")} failed: ${result.stderr.toString()}`);
  }
}

/** A new RSA-2048 key and a one-day self-signed certificate for `cn`: `${name}.key`, `${name}.crt` in `dir`. */
export function selfSign(
  dir: string,
  name: string,
  cn: string,
  extra: readonly string[] = [],
): void {
  openssl(
    ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", `/CN=${cn}`]
      .concat(["-keyout", `${name}.key`, "-out", `${name}.crt`])
      .concat(extra),
    dir,
  );
}

/** A temp directory holding `server.key` and `server.crt` for localhost; the caller removes it. */
export function selfSignedDir(prefix: string): { dir: string; key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  selfSign(dir, "server", "localhost");
  return { dir, key: join(dir, "server.key"), cert: join(dir, "server.crt") };
}
