/**
 * Reads and checks the TLS files (--tls-cert, --tls-key, --tls-ca) into
 * Bun's TLS options. Every problem names the option and the file: a missing
 * or unreadable file, a file that is not PEM of the right kind, a key that
 * does not match the certificate. main.ts calls this at startup (an error
 * exits 2) and again on SIGHUP (an error is logged, the old certificate
 * stays in use). It also makes the listener's handshake handler, which
 * counts and logs refused client certificates.
 */

import { createPrivateKey, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import type { TLSOptions } from "bun";
import type { Config } from "../config.ts";
import { EchodError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { createLimitedWarning } from "../log-limit.ts";
import type { EchoSocket } from "./connection.ts";

export interface TlsFiles {
  readonly cert: string;
  readonly key: string;
  readonly ca: string | null;
}

export function tlsFiles(config: Config): TlsFiles | null {
  if (config.tlsPort === null || config.tlsCert === null || config.tlsKey === null) return null;
  return { cert: config.tlsCert, key: config.tlsKey, ca: config.tlsCa };
}

/** Reads the files now; throws an EchodError (exit 2) naming the first bad one. */
export function loadTlsOptions(files: TlsFiles): TLSOptions {
  const cert = readPem("--tls-cert", files.cert);
  const key = readPem("--tls-key", files.key);
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(cert);
  } catch {
    throw fileError("--tls-cert", files.cert, "is not a PEM certificate");
  }
  let privateKey: ReturnType<typeof createPrivateKey>;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    throw fileError("--tls-key", files.key, "is not a PEM private key (or it is encrypted)");
  }
  if (!certificate.checkPrivateKey(privateKey)) {
    throw fileError("--tls-key", files.key, `does not match the certificate in ${files.cert}`);
  }
  const options: TLSOptions = { cert, key };
  if (files.ca !== null) {
    const ca = readPem("--tls-ca", files.ca);
    try {
      new X509Certificate(ca);
    } catch {
      throw fileError("--tls-ca", files.ca, "is not a PEM certificate");
    }
    return { ...options, ca, requestCert: true, rejectUnauthorized: true };
  }
  return options;
}

function readPem(option: string, path: string): string {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as { code?: string }).code;
    const why =
      code === "ENOENT"
        ? "no such file"
        : code === "EACCES"
          ? "permission denied"
          : code === "EISDIR"
            ? "is a directory"
            : (error as Error).message;
    throw fileError(option, path, `cannot be read: ${why}`);
  }
  if (!text.includes("-----BEGIN ")) throw fileError(option, path, "is not a PEM file");
  return text;
}

function fileError(option: string, path: string, why: string): EchodError {
  return new EchodError("E_FILE", `${option} ${JSON.stringify(path)} ${why}`);
}

export type HandshakeHandler = (
  socket: EchoSocket,
  success: boolean,
  authorizationError: Error | null,
) => void;

/**
 * Names the close reason of a refused handshake and logs it at most once a
 * second (with the count since the last line; a trailing burst is logged a
 * second later), plus a debug line for each. A client with no certificate
 * fails the handshake itself; one whose certificate does not verify
 * (another CA, self-signed, expired) gets `success` true with an
 * `authorizationError`, and Bun then closes the socket without an alert, so
 * it looked like the peer closing. Without --tls-ca no client certificate is
 * asked for and every handshake carries an authorizationError (no
 * certificate to verify) that means nothing: `verifiesClients` is false then.
 */
export function createHandshakeHandler(log: Logger, verifiesClients: boolean): HandshakeHandler {
  const debug = log.isLevelEnabled("debug");
  const warn = createLimitedWarning(log, "tls handshakes failed", "failed");
  return (socket, success, authorizationError) => {
    if (success && (authorizationError === null || !verifiesClients)) return;
    // Bun closes the socket after this; the reason is counted when it does.
    if (socket.data !== undefined) socket.data.reason ??= "tls_handshake_failed";
    const code = (authorizationError as { code?: string } | null)?.code;
    const lastError = authorizationError
      ? `${code ? `${code}: ` : ""}${authorizationError.message}`
      : "handshake failed";
    if (debug) {
      log.debug(
        { remote: `${socket.remoteAddress}:${socket.remotePort}`, error: lastError },
        "tls handshake failed",
      );
    }
    warn({ error: lastError });
  };
}
