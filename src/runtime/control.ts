/**
 * What the control API and SIGHUP's --faults reload change in a running
 * echod, whether echo runs in this process or in workers: each stream
 * listener's faults, and whether it accepts connections. Every change has
 * reached every listener (every worker) when the promise resolves.
 */

import type { Config } from "../config.ts";
import type { EchoService } from "../echo/listeners.ts";
import type { FaultScope } from "../echo/server.ts";
import { type FaultSettings, faultsOf } from "../options/fault-settings.ts";

export type { FaultScope };

/** One stream listener as the control API shows it. */
export interface ListenerState {
  readonly faults: FaultSettings;
  readonly accepting: boolean;
}

export interface RuntimeControl {
  /** Every stream listener by name (`tcp`, `tls`, `unix`, profiles), in start order. */
  listeners(): Readonly<Record<string, ListenerState>>;
  /** Gives each named listener its new faults; all in one turn of each event loop. */
  setFaults(changes: Readonly<Record<string, FaultSettings>>, scope: FaultScope): Promise<void>;
  /** Takes a listener down (connections refused) or up again on the same port. */
  setAccepting(name: string, accepting: boolean): Promise<void>;
}

/** Applies a change to one process's listeners; throws before changing anything if a name is unknown. */
export function applyFaults(
  echo: Pick<EchoService, "named">,
  changes: Readonly<Record<string, FaultSettings>>,
  scope: FaultScope,
): void {
  const servers = Object.keys(changes).map((name) => {
    const server = echo.named(name);
    if (server === undefined) throw new Error(`no listener named ${name}`);
    return server;
  });
  for (const server of servers) server.setFaults(changes[server.name] as FaultSettings, scope);
}

export function applyAccepting(
  echo: Pick<EchoService, "named">,
  name: string,
  accepting: boolean,
): void {
  const server = echo.named(name);
  if (server === undefined) throw new Error(`no listener named ${name}`);
  server.setAccepting(accepting);
}

/** The control of single-process echod: straight onto its listeners. */
export function createLocalControl(echo: EchoService): RuntimeControl {
  return {
    listeners: () =>
      Object.fromEntries(
        echo.servers.map((s) => [s.name, { faults: s.faults(), accepting: s.accepting }]),
      ),
    setFaults: async (changes, scope) => applyFaults(echo, changes, scope),
    setAccepting: async (name, accepting) => applyAccepting(echo, name, accepting),
  };
}

/** Every stream listener's faults at start: the flags, each profile's own, then --faults FILE's. */
export function startFaults(
  config: Config,
  file: Readonly<Record<string, FaultSettings>> = {},
): Record<string, FaultSettings> {
  const flags = faultsOf(config);
  const book: Record<string, FaultSettings> = { tcp: flags };
  if (config.tlsPort !== null) book.tls = flags;
  if (config.unix !== null) book.unix = flags;
  for (const p of config.profile) book[p.name] = p.faults;
  for (const [name, faults] of Object.entries(file))
    if (Object.hasOwn(book, name)) book[name] = faults;
  return book;
}
