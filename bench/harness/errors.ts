/**
 * The classes of failure the harness counts, one counter each. Any non-zero
 * count makes `echod-bench` exit 1: a load test that lost or corrupted data
 * must not look like a pass.
 */
export const ERROR_CLASSES = [
  "mismatch",
  "short",
  "refused",
  "tls",
  "reset",
  "timeout",
  "lost",
  "closed",
  "other",
] as const;

export type ErrorClass = (typeof ERROR_CLASSES)[number];

export type ErrorCounts = Record<ErrorClass, number>;

/** What each class means, for --help, the README and the report. */
export const ERROR_MEANINGS: Readonly<Record<ErrorClass, string>> = {
  mismatch: "echoed bytes differ from those sent, or more came back than was sent",
  short: "the server closed the connection before echoing everything sent",
  refused: "a connection attempt was refused",
  tls: "a TLS handshake failed (certificate not trusted, name mismatch, client certificate refused)",
  reset: "the server reset the connection (ECONNRESET, EPIPE)",
  timeout: "a message was not echoed within --timeout",
  lost: "udp: a datagram was not echoed within --timeout",
  closed: "the server closed an idle connection (nothing outstanding)",
  other: "any other socket error",
};

export function createErrorCounts(): ErrorCounts {
  return {
    mismatch: 0,
    short: 0,
    refused: 0,
    tls: 0,
    reset: 0,
    timeout: 0,
    lost: 0,
    closed: 0,
    other: 0,
  };
}

export function addErrorCounts(into: ErrorCounts, from: ErrorCounts): void {
  for (const k of ERROR_CLASSES) into[k] += from[k];
}

export function totalErrors(counts: ErrorCounts): number {
  let n = 0;
  for (const k of ERROR_CLASSES) n += counts[k];
  return n;
}
