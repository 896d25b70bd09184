/**
 * Chooses, when a listener starts, whether its handlers read a PROXY
 * protocol header first: only TCP listeners with --proxy-protocol on get the
 * stage (stage.ts) around their echo handlers; every other listener keeps
 * them as they are, so the raw path carries no check when it is off.
 */
import type { SocketHandler } from "bun";
import type { Config } from "../../config.ts";
import type { Connection } from "../connection.ts";
import type { EchoContext } from "../lifecycle.ts";
import type { StreamKind } from "../stats.ts";
import { createProxyHandlers } from "./stage.ts";

export function withProxyProtocol(
  ctx: EchoContext,
  handlers: SocketHandler<Connection>,
  config: Config,
  kind: StreamKind,
): SocketHandler<Connection> {
  if (config.proxyProtocol === "off" || kind !== "tcp") return handlers;
  return createProxyHandlers(ctx, handlers, {
    mode: config.proxyProtocol,
    from: config.proxyProtocolFrom,
    timeoutSeconds: config.proxyProtocolTimeout,
  });
}
