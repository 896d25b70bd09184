/**
 * Chooses, when a listener starts, whether its handlers read a PROXY
 * protocol header first: TCP and TLS listeners with --proxy-protocol on get
 * the stage (stage.ts) around their echo handlers; every other listener
 * keeps them as they are, so the raw path carries no check when it is off.
 * On a TLS listener the stage also starts TLS after the header, so the
 * listener must then accept plain TCP (`tlsAfterHeader`).
 */
import type { SocketHandler } from "bun";
import type { Config } from "../../config.ts";
import type { Connection } from "../connection.ts";
import type { EchoContext } from "../lifecycle.ts";
import type { StreamKind } from "../stats.ts";
import { createProxyHandlers, type ProxyStageOptions } from "./stage.ts";

export interface ListenerHandlers {
  readonly handlers: SocketHandler<Connection>;
  /** True when the listener must not run TLS itself: the stage does, after the header. */
  readonly tlsAfterHeader: boolean;
}

export function withProxyProtocol(
  ctx: EchoContext,
  handlers: SocketHandler<Connection>,
  config: Config,
  kind: StreamKind,
  tls: ProxyStageOptions["tls"],
): ListenerHandlers {
  if (config.proxyProtocol === "off" || kind === "unix") return { handlers, tlsAfterHeader: false };
  return {
    handlers: createProxyHandlers(ctx, handlers, {
      mode: config.proxyProtocol,
      from: config.proxyProtocolFrom,
      timeoutSeconds: config.proxyProtocolTimeout,
      tls: kind === "tls" ? tls : null,
    }),
    tlsAfterHeader: kind === "tls",
  };
}
