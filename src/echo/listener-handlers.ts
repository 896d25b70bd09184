/**
 * How one stream listener's socket handlers are composed, decided once
 * when it starts: over the echo handlers (the raw ones, or the fault
 * pipeline; server.ts picks, and may move a listener to the pipeline when
 * the control API gives it a fault), the greeting (socket options, banner)
 * only when one is asked for, the PROXY protocol stage only when it is on,
 * and the TLS handshake handler on a TLS listener. What is off adds nothing
 * to the raw path.
 */
import type { SocketHandler, TLSOptions } from "bun";
import type { Config } from "../config.ts";
import type { Identity } from "../identity/identity.ts";
import type { Logger } from "../log.ts";
import type { Connection } from "./connection.ts";
import type { EchoContext } from "./context.ts";
import type { Whoami } from "./faults/whoami.ts";
import { createGreeting, prepareGreeting, withGreeting } from "./greeting.ts";
import { withProxyProtocol } from "./proxy/listener.ts";
import { createHandshakeHandler } from "./tls.ts";

/** Which stream listener to start; TCP on config.host and config.port by default (a profile: its own port). */
export type ListenerSpec =
  | { readonly kind: "tcp"; readonly port?: number }
  | { readonly kind: "tls"; readonly port: number; readonly tls: TLSOptions }
  | { readonly kind: "unix"; readonly path: string; readonly mode: number };

export interface HandlerChoice {
  /** The listener's handlers over `echo`. */
  compose(echo: SocketHandler<Connection>): SocketHandler<Connection>;
  /** What --whoami-line answers with, for the fault pipeline; null when off. */
  readonly whoami: Whoami | null;
  /** A PROXY stage sits in front: it keeps the echo handlers it was composed over. */
  readonly behindProxy: boolean;
  /** The listener accepts plain TCP and TLS starts after a PROXY header. */
  readonly tlsAfterHeader: boolean;
}

/** `currentTls` gives the TLS options in force now (a certificate reload changes them). */
export function handlerChoice(
  ctx: EchoContext,
  config: Config,
  spec: ListenerSpec,
  log: Logger,
  currentTls: () => TLSOptions | undefined,
  identity: Identity | undefined,
): HandlerChoice {
  const unixPath = spec.kind === "unix" ? spec.path : null;
  const greeting = prepareGreeting(config, spec.kind, unixPath, identity);
  const greet = createGreeting(greeting.plan, ctx.stats);
  // On TLS, a handshake handler makes Bun report failed handshakes (a missing or
  // untrusted client certificate) instead of opening and closing them silently.
  const handshake =
    spec.kind === "tls" ? createHandshakeHandler(log, spec.tls.rejectUnauthorized === true) : null;
  const behindProxy = config.proxyProtocol !== "off" && spec.kind !== "unix";
  const tlsAfterHeader = behindProxy && spec.kind === "tls";
  return {
    whoami: greeting.whoami,
    behindProxy,
    tlsAfterHeader,
    compose(echo) {
      const echoHandlers = greet === null ? echo : withGreeting(echo, greet);
      // The greeting runs in the echo handlers' open: behind the PROXY stage, after the
      // header, so the banner's {remote} is the client the header named.
      const proxy = withProxyProtocol(
        ctx,
        echoHandlers,
        config,
        spec.kind,
        handshake && { options: () => currentTls() as TLSOptions, handshake },
      );
      return handshake !== null && !proxy.tlsAfterHeader
        ? { ...proxy.handlers, handshake }
        : proxy.handlers;
    },
  };
}
