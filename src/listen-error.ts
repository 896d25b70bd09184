/**
 * The one way echod reports a listener it could not bind: one errno table,
 * one message shape (`cannot listen on WHERE: WHY`), for every listener kind.
 */
import { EchodError } from "./errors.ts";

export type ListenKind = "tcp" | "tls" | "unix" | "udp" | "admin";

/** What bind()'s errno means, in words. Others fall back to the error's own message. */
const ERRNO_TEXT: Readonly<Record<string, string>> = {
  EADDRINUSE: "address already in use",
  EACCES: "permission denied",
  EADDRNOTAVAIL: "address not available on this machine",
};

/** Why a port-based EACCES happened: the usual cause is a port below 1024. */
const PRIVILEGED_PORT_HINT = " (ports below 1024 need root or CAP_NET_BIND_SERVICE)";

/** The errno code of a thrown value, or "" (Bun throws errno objects, or undefined from UDP handlers). */
export function errnoCode(error: unknown): string {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === "string" ? code : "";
}

/** A thrown value as text: an Error's message, a known errno in words, or anything else. */
export function errorText(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (error === undefined) return "no error object (an ICMP error for an earlier echo)";
  try {
    return String(error);
  } catch {
    return typeof error;
  }
}

/** Why `kind` could not bind, in words. */
export function listenReason(kind: ListenKind, error: unknown): string {
  const code = errnoCode(error);
  const text = ERRNO_TEXT[code];
  if (text === undefined) return errorText(error);
  return code === "EACCES" && kind !== "unix" ? text + PRIVILEGED_PORT_HINT : text;
}

/**
 * The EchodError for a listener that could not bind at `where` (`host:port`
 * or a socket path). Exit 1, a runtime failure; except an admin address that
 * is not this machine's, which is bad configuration (2).
 */
export function listenError(kind: ListenKind, where: string, error: unknown): EchodError {
  const why = listenReason(kind, error);
  const message =
    kind === "udp"
      ? `cannot listen on udp ${where}: ${why}`
      : kind === "admin"
        ? `cannot listen on ${where} (admin): ${why}`
        : `cannot listen on ${where}: ${why}`;
  const exitCode = kind === "admin" && errnoCode(error) === "EADDRNOTAVAIL" ? 2 : 1;
  return new EchodError("E_LISTEN", message, exitCode);
}
