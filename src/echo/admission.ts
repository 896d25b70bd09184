/**
 * Admission control, asked once per new connection before any state is
 * made: the --deny and --allow lists (deny wins) and the --accept-rate token
 * bucket of the listener. Returns why a connection is refused, or null.
 * Built once per listener; null when none of it is on, so openConnection
 * then pays one null check.
 */
import { createCidrMatcher } from "../cidr.ts";
import type { Config } from "../config.ts";
import type { RejectReason } from "./stats.ts";

export type Admit = (address: string, now: number) => RejectReason | null;

/** `usesAddress`: false on a Unix socket, whose peers have no IP address to list. */
export function createAdmission(config: Config, usesAddress: boolean): Admit | null {
  const allow = usesAddress && config.allow.length > 0 ? createCidrMatcher(config.allow) : null;
  const deny = usesAddress && config.deny.length > 0 ? createCidrMatcher(config.deny) : null;
  const rate = config.acceptRate;
  if (allow === null && deny === null && rate === null) return null;
  const perMs = rate === null ? 0 : rate.perSecond / 1000;
  const burst = rate === null ? 0 : rate.burst;
  // The bucket starts full: a burst is allowed at once, then perSecond refill it.
  let tokens = burst;
  let last = Number.NEGATIVE_INFINITY;
  return (address, now) => {
    if (deny?.(address) === true) return "denied";
    if (allow !== null && !allow(address)) return "denied";
    if (rate === null) return null;
    tokens = Math.min(burst, tokens + (now - last) * perMs);
    last = now;
    if (tokens < 1) return "rate_limited";
    tokens -= 1;
    return null;
  };
}
