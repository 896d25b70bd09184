/**
 * The options that decide which connections are served and where their
 * client address comes from: the PROXY protocol (--proxy-protocol,
 * --proxy-protocol-from, --proxy-protocol-timeout), the address lists
 * (--allow, --deny) and the accept rate (--accept-rate).
 */
import { parseCidr } from "../cidr.ts";
import { usageError } from "../errors.ts";
import { parseDecimal, parseInteger, parseSeconds } from "../units.ts";
import * as p from "./parsers.ts";
import { option } from "./spec.ts";

export const PROXY_MODES = ["off", "v1", "v2", "any"] as const;

/** `--accept-rate N[:BURST]`: new connections per second, and how many may come at once. */
export interface AcceptRate {
  readonly perSecond: number;
  readonly burst: number;
}

/** Comma-separated IPv4/IPv6 addresses or CIDR blocks, kept as text (workers get the config as JSON). */
const cidrList: p.ValueParser<readonly string[]> = {
  accepts: "comma-separated IP addresses or CIDR blocks (`10.0.0.0/8,::1`); empty for none",
  read(value, name) {
    if (Array.isArray(value)) return value as readonly string[];
    if (typeof value !== "string") throw usageError(name, value, "must be a list of CIDR blocks");
    const blocks = value.split(",").map((b) => b.trim());
    if (value.trim() === "") return Object.freeze([]);
    for (const block of blocks) {
      if (parseCidr(block) === null) {
        throw usageError(
          name,
          value,
          `${JSON.stringify(block)} is not an IP address or CIDR block`,
        );
      }
    }
    return Object.freeze(blocks);
  },
};

const acceptRate: p.ValueParser<AcceptRate | null> = {
  accepts: "`N` or `N:BURST` (new connections per second, burst; `100:50`); `off` for none",
  read(value, name) {
    if (value === null || value === undefined || value === "off" || value === "") return null;
    if (typeof value === "object") return value as AcceptRate;
    const [rateText = "", burstText, extra] = String(value).split(":");
    const perSecond = parseDecimal(rateText);
    const burst = burstText === undefined ? Math.ceil(perSecond ?? 0) : parseInteger(burstText);
    if (
      perSecond === null ||
      perSecond <= 0 ||
      burst === null ||
      burst < 1 ||
      extra !== undefined
    ) {
      throw usageError(
        name,
        value,
        "must be connections per second above 0, optionally with a burst of at least 1: 100 or 100:50",
      );
    }
    return Object.freeze({ perSecond, burst });
  },
};

const positiveSeconds: p.ValueParser<number> = {
  accepts: "seconds above 0 (`5`, `1.5`, `250ms`)",
  read(value, name) {
    const s = typeof value === "string" || typeof value === "number" ? parseSeconds(value) : null;
    if (s === null || s <= 0)
      throw usageError(name, value, "must be a number of seconds above 0 (or 250ms)");
    return s;
  },
};

export const ADMISSION_OPTIONS = {
  proxyProtocol: option({
    flag: "proxy-protocol",
    default: "off",
    parser: p.choice(PROXY_MODES),
    help: "PROXY protocol header required first on TCP and TLS: off, v1, v2, any",
    docs: "PROXY protocol header each TCP and TLS connection must start with (`any`: v1 or v2; on TLS, before the ClientHello); the client address is taken from it ([PROXY protocol](proxy-protocol.md))",
  }),
  proxyProtocolFrom: option({
    flag: "proxy-protocol-from",
    default: Object.freeze([]) as readonly string[],
    shown: "any",
    parser: cidrList,
    help: "Sources that must send the PROXY header; others are served without (default any)",
    docs: "the load balancers' addresses: only connections from these must start with a header, others are served as without one; empty = every source",
  }),
  proxyProtocolTimeout: option({
    flag: "proxy-protocol-timeout",
    default: 5,
    parser: positiveSeconds,
    help: "Seconds for the PROXY header to arrive before the connection is closed",
    docs: "time for the whole PROXY header to arrive; later, the connection is closed (`proxy_protocol`)",
  }),
  allow: option({
    flag: "allow",
    default: Object.freeze([]) as readonly string[],
    shown: "any",
    parser: cidrList,
    help: "Only these client addresses or CIDR blocks are served (TCP, TLS)",
    docs: "client addresses served on TCP and TLS; others are closed at once (`denied`); empty = all",
  }),
  deny: option({
    flag: "deny",
    default: Object.freeze([]) as readonly string[],
    shown: "none",
    parser: cidrList,
    help: "Client addresses or CIDR blocks refused (wins over --allow)",
    docs: "client addresses closed at once on TCP and TLS (`denied`); wins over `--allow`",
  }),
  acceptRate: option({
    flag: "accept-rate",
    default: null,
    shown: "off",
    parser: acceptRate,
    help: "New connections per second per listener, N[:BURST]; past it refused",
    docs: "token bucket over new connections on each stream listener: `N` per second, `BURST` at once (default `N`); past it a connection is closed at once (`rate_limited`). Divided among `--workers`",
  }),
} as const;
