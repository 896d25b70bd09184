/**
 * What a new connection gets in `open` besides being taken into service,
 * when asked for: TCP keepalive and Nagle's algorithm (--keepalive,
 * --nagle), then the banner (--banner), written ahead of any echo. Chosen
 * once per listener (server.ts wraps the handlers' `open` only when one of
 * them is on), so the raw path pays nothing for them otherwise.
 *
 * Banner bytes go through the usual write queue, so they leave before any
 * echo and are counted as sent; `bannerBytes` counts them too, so that the
 * balance reads received + banner = sent + discarded + buffered.
 */
import type { Config } from "../config.ts";
import { type Banner, compileBanner, parseTemplate } from "../identity/banner.ts";
import { type Identity, readIdentity } from "../identity/identity.ts";
import { type EchoSocket, writeOrQueue } from "./connection.ts";
import type { Whoami } from "./faults/whoami.ts";
import { clientAddress, localAddress } from "./peer.ts";
import type { EchoStats } from "./stats.ts";

export interface GreetingPlan {
  /** TCP keepalive idle seconds; 0 = leave keepalive off. */
  readonly keepalive: number;
  /** Turn Nagle's algorithm back on (Bun sets TCP_NODELAY on accepted sockets). */
  readonly nagle: boolean;
  readonly banner: Banner | null;
  /** The listener's socket path for {local}, on a Unix listener; else null. */
  readonly unixPath: string | null;
}

/**
 * A listener's banner (compiled now: a usage error if it is too long) and
 * what --whoami-line answers with. The identity comes from the environment
 * unless given (tests).
 */
export function prepareGreeting(
  config: Config,
  listener: string,
  unixPath: string | null,
  identity: Identity = readIdentity(process.env),
): { readonly plan: GreetingPlan; readonly whoami: Whoami | null } {
  const banner =
    config.banner === null ? null : compileBanner(parseTemplate(config.banner), identity, listener);
  const whoami =
    banner !== null && config.whoamiLine !== null
      ? { line: Buffer.from(config.whoamiLine), banner, unixPath }
      : null;
  return {
    plan: { keepalive: config.keepalive, nagle: config.nagle, banner, unixPath },
    whoami,
  };
}

/** Called after a connection was taken into service: socket options, then the banner. */
export type Greet = (socket: EchoSocket) => void;

/** The greeting of one listener, or null when it has nothing to do. */
export function createGreeting(plan: GreetingPlan, stats: EchoStats): Greet | null {
  const { keepalive, nagle, banner, unixPath } = plan;
  const tcp = unixPath === null;
  const keep = tcp && keepalive > 0;
  const delay = tcp && nagle;
  if (!keep && !delay && banner === null) return null;
  return (socket) => {
    if (keep) socket.setKeepAlive(true, keepalive * 1000);
    if (delay) socket.setNoDelay(false);
    if (banner !== null) writeBanner(socket, banner, stats, unixPath);
  };
}

/** Writes (or queues) one banner on a connection in service; also for --whoami-line. */
export function writeBanner(
  socket: EchoSocket,
  banner: Banner,
  stats: EchoStats,
  unixPath: string | null,
): void {
  const bytes = banner.fixed
    ? banner.render("", "")
    : banner.render(clientAddress(socket), localAddress(socket, unixPath));
  stats.bannerBytes += bytes.length;
  writeOrQueue(socket, socket.data, stats, bytes);
}

/** The handlers with `greet` after `open` on every connection taken into service. */
export function withGreeting<H extends { open?: (socket: EchoSocket) => void }>(
  handlers: H,
  greet: Greet,
): H {
  const open = handlers.open;
  return {
    ...handlers,
    open(socket: EchoSocket) {
      open?.(socket);
      if (socket.data !== undefined) greet(socket);
    },
  };
}
