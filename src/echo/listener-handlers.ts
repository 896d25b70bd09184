/**
 * The socket handlers one stream listener runs, chosen once when it starts:
 * the raw handlers or the fault pipeline, wrapped by the greeting (socket
 * options, banner) only when one is asked for, behind the PROXY protocol
 * stage only when it is on, and with the TLS handshake handler on a TLS
 * listener. What is off adds nothing to the raw path.
 */
import type { SocketHandler, TLSOptions } from "bun";
import type { Config } from "../config.ts";
import type { Identity } from "../identity/identity.ts";
import type { Logger } from "../log.ts";
import type { Connection } from "./connection.ts";
import type { EchoContext } from "./context.ts";
import { createFaultHandlers } from "./faults/pipeline.ts";
import { createFaultPlan } from "./faults/plan.ts";
import { createGreeting, prepareGreeting, withGreeting } from "./greeting.ts";
import { createHandlers } from "./handlers.ts";
import { withProxyProtocol } from "./proxy/listener.ts";
import { createHandshakeHandler } from "./tls.ts";

/** Which stream listener to start; TCP on config.host and config.port by default. */
export type ListenerSpec =
  | { readonly kind: "tcp" }
  | { readonly kind: "tls"; readonly port: number; readonly tls: TLSOptions }
  | { readonly kind: "unix"; readonly path: string; readonly mode: number };

export interface ListenerHandlers {
  readonly handlers: SocketHandler<Connection>;
  /** True when the listener accepts plain TCP and TLS starts after a PROXY header. */
  readonly tlsAfterHeader: boolean;
}

/** `currentTls` gives the TLS options in force now (a certificate reload changes them). */
export function listenerHandlers(
  ctx: EchoContext,
  config: Config,
  spec: ListenerSpec,
  log: Logger,
  currentTls: () => TLSOptions | undefined,
  identity: Identity | undefined,
): ListenerHandlers {
  const faultPlan = createFaultPlan(config);
  const unixPath = spec.kind === "unix" ? spec.path : null;
  const greeting = prepareGreeting(config, spec.kind, unixPath, identity);
  const plainHandlers = faultPlan
    ? createFaultHandlers(ctx, faultPlan, greeting.whoami)
    : createHandlers(ctx);
  const greet = createGreeting(greeting.plan, ctx.stats);
  const echoHandlers = greet === null ? plainHandlers : withGreeting(plainHandlers, greet);
  // On TLS, a handshake handler makes Bun report failed handshakes (a missing or
  // untrusted client certificate) instead of opening and closing them silently.
  const handshake =
    spec.kind === "tls" ? createHandshakeHandler(log, spec.tls.rejectUnauthorized === true) : null;
  // The greeting runs in the echo handlers' open: behind the PROXY stage, after the header,
  // so the banner's {remote} is the client the header named.
  const proxy = withProxyProtocol(
    ctx,
    echoHandlers,
    config,
    spec.kind,
    handshake && { options: () => currentTls() as TLSOptions, handshake },
  );
  const handlers =
    handshake !== null && !proxy.tlsAfterHeader ? { ...proxy.handlers, handshake } : proxy.handlers;
  return { handlers, tlsAfterHeader: proxy.tlsAfterHeader };
}
