/**
 * The options of the listeners besides plain TCP (TLS, Unix socket, UDP)
 * and of framing on the stream listeners.
 */
import { formatSize } from "../units.ts";
import * as p from "./parsers.ts";
import { option } from "./spec.ts";

export const FRAMINGS = ["none", "line", "length-prefixed"] as const;
export type Framing = (typeof FRAMINGS)[number];

/** The largest UDP payload over IPv4 (65535 minus the IP and UDP headers). */
export const MAX_UDP_PAYLOAD = 65_507;

const MiB = 1024 * 1024;

export const LISTENER_OPTIONS = {
  tlsPort: option({
    flag: "tls-port",
    default: null,
    shown: "off",
    parser: p.optional(p.port),
    help: "TLS echo port on --host (needs --tls-cert and --tls-key)",
    docs: "TLS echo port on `--host`; needs `--tls-cert` and `--tls-key`",
  }),
  tlsCert: option({
    flag: "tls-cert",
    default: null,
    shown: "none",
    parser: p.optional(p.path),
    help: "PEM certificate (chain) for the TLS listener; re-read on SIGHUP",
    docs: "PEM certificate (chain) of the TLS listener; re-read on SIGHUP",
  }),
  tlsKey: option({
    flag: "tls-key",
    default: null,
    shown: "none",
    parser: p.optional(p.path),
    help: "PEM private key for --tls-cert; re-read on SIGHUP",
    docs: "PEM private key of `--tls-cert`; re-read on SIGHUP",
  }),
  tlsCa: option({
    flag: "tls-ca",
    default: null,
    shown: "none",
    parser: p.optional(p.path),
    help: "PEM CA bundle: TLS clients must present a certificate it signed",
    docs: "PEM CA bundle: TLS clients must present a certificate it signed",
  }),
  unix: option({
    flag: "unix",
    default: null,
    shown: "off",
    parser: p.optional(p.path),
    help: "Unix domain socket path to echo on (a stale socket file is replaced)",
    docs: "Unix domain socket path to echo on; a stale socket file there is replaced",
  }),
  unixMode: option({
    flag: "unix-mode",
    default: 0o660,
    shown: "0660",
    parser: p.fileMode,
    help: "File mode of the --unix socket (octal)",
    docs: "file mode of the `--unix` socket",
  }),
  udpPort: option({
    flag: "udp-port",
    default: null,
    shown: "off",
    parser: p.optional(p.port),
    help: "UDP echo port on --host (RFC 862)",
    docs: "UDP echo port on `--host` (RFC 862)",
  }),
  udpMaxSize: option({
    flag: "udp-max-size",
    default: MAX_UDP_PAYLOAD,
    parser: p.size(1, MAX_UDP_PAYLOAD),
    help: "Largest datagram echoed; larger ones are dropped",
    docs: "largest datagram echoed; larger ones are dropped (`too_large`)",
  }),
  udpRateLimit: option({
    flag: "udp-rate-limit",
    default: 100,
    parser: p.integer(0),
    help: "Datagrams per second echoed to one source address (0 = no limit)",
    docs: "datagrams per second echoed to one source address (burst: one second's worth); `0` = no limit",
  }),
  framing: option({
    flag: "framing",
    default: "none",
    parser: p.choice(FRAMINGS),
    help: `Echo unit on stream listeners: ${FRAMINGS.join(", ")}`,
    docs: "echo unit on TCP, TLS and Unix: raw bytes (`none`), lines, or messages behind a 4-byte big-endian length",
  }),
  maxMessageSize: option({
    flag: "max-message-size",
    default: MiB,
    shown: formatSize(MiB).replace(" ", ""),
    parser: p.size(1, 0xffff_ffff),
    help: "Largest framed message; a larger one closes the connection",
    docs: "largest framed message (a line without its terminator, or a payload); a larger one closes the connection (`message_too_large`)",
  }),
} as const;
