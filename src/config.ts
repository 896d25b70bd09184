/**
 * `resolveConfig`: raw option values (from flags, the environment or a test)
 * -> a validated, frozen Config. Each value goes through its own parser from
 * the options table (src/options.ts); this module adds only the checks
 * across options. Every error names the option as the user set it (the flag,
 * or the environment variable when the value came from there) and the value.
 */

import { isLoopbackHost } from "./address.ts";
import { usageError } from "./errors.ts";
import {
  type Config,
  type FaultSettings,
  OPTION_TABLE,
  OPTIONS,
  type OptionKey,
  type RawOptions,
} from "./options.ts";

export {
  type Config,
  DEFAULTS,
  type Delay,
  type FaultSettings,
  FRAMINGS,
  type Framing,
  LOG_FORMATS,
  LOG_LEVELS,
  type LogFormat,
  type LogLevel,
  MAX_DELAY_MS,
  MAX_UDP_PAYLOAD,
  MAX_WORKERS,
  MIN_MAX_BUFFER,
  type RawOptions,
} from "./options.ts";

/** For each option set from the environment (or as PORT), the name errors should use. */
export type OptionLabels = { readonly [K in OptionKey]?: string };

export type NameOf = (key: OptionKey) => string;

/** Validates raw options over the defaults; throws an EchodError (exit 2) naming the first bad one. */
export function resolveConfig(raw: RawOptions = {}, labels: OptionLabels = {}): Config {
  const name: NameOf = (key) => labels[key] ?? `--${OPTION_TABLE[key].flag}`;
  const values: Record<string, unknown> = {};
  for (const o of OPTIONS) {
    values[o.key] = o.parser.read(raw[o.key] ?? o.default, name(o.key));
  }
  const config = values as Config;
  checkPorts(config, name);
  checkTls(config, name);
  checkFaults(config, name);
  if (config.proxyProtocolFrom.length > 0 && config.proxyProtocol === "off") {
    const from = config.proxyProtocolFrom.join(",");
    throw usageError(
      name("proxyProtocolFrom"),
      from,
      `has no effect without ${name("proxyProtocol")}`,
    );
  }
  checkWhoami(config, name);
  checkControl(config, name);
  checkProfiles(config, name);
  return Object.freeze(config);
}

/** The echo, admin and TLS ports must not collide; each worker needs a connection. */
function checkPorts(config: Config, name: NameOf): void {
  if (
    config.metrics &&
    config.port !== 0 &&
    config.port === config.metricsPort &&
    hostsOverlap(config.host, config.metricsHost)
  ) {
    throw usageError(
      name("metricsPort"),
      config.metricsPort,
      `the admin server cannot share the echo port (${name("port")} ${config.port})`,
    );
  }
  if (config.maxConnections < config.workers) {
    throw usageError(
      name("maxConnections"),
      config.maxConnections,
      `must be at least the number of workers (${config.workers}): each worker gets a share`,
    );
  }
}

/** A TLS port needs a certificate and a key; the TLS files need a TLS port. */
function checkTls(config: Config, name: NameOf): void {
  if (config.tlsPort === null) {
    for (const key of ["tlsCert", "tlsKey", "tlsCa"] as const) {
      if (config[key] !== null) {
        throw usageError(name(key), config[key], `has no effect without ${name("tlsPort")}`);
      }
    }
    return;
  }
  const tls = (why: string) => usageError(name("tlsPort"), config.tlsPort, why);
  if (config.tlsCert === null) throw tls(`needs ${name("tlsCert")} (and ${name("tlsKey")})`);
  if (config.tlsKey === null) throw tls(`needs ${name("tlsKey")} (and ${name("tlsCert")})`);
  if (config.tlsPort !== 0 && config.tlsPort === config.port) {
    throw tls(`cannot share the TCP echo port (${name("port")})`);
  }
  if (config.metrics && config.tlsPort !== 0 && config.tlsPort === config.metricsPort) {
    throw tls(`cannot share the admin port (${name("metricsPort")})`);
  }
}

/**
 * Close-after and reset-after each end the connection: only one can apply;
 * --timeout already drops, so not with --blackhole.
 * Also run on each --profile, --faults entry and control API change.
 */
export function checkFaults(config: FaultSettings, name: NameOf): void {
  if (config.blackhole && config.timeout > 0) {
    throw usageError(
      name("timeout"),
      config.timeout,
      `cannot be combined with ${name("blackhole")}: it already drops what it reads`,
    );
  }
  if (config.closeAfter > 0 && config.resetAfter > 0) {
    throw usageError(
      name("resetAfter"),
      config.resetAfter,
      `cannot be combined with ${name("closeAfter")} ${config.closeAfter}: the first one reached ends the connection, the other never applies`,
    );
  }
}

/** --whoami-line answers a line with the banner: it needs both. */
function checkWhoami(config: Config, name: NameOf): void {
  if (config.whoamiLine === null) return;
  if (config.framing !== "line") {
    throw usageError(name("whoamiLine"), config.whoamiLine, `needs ${name("framing")} line`);
  }
  if (config.banner === null) {
    throw usageError(name("whoamiLine"), config.whoamiLine, `needs ${name("banner")} (its answer)`);
  }
}

/** The control API needs the admin server, and a token unless the admin address is loopback. */
function checkControl(config: Config, name: NameOf): void {
  if (!config.control) {
    if (config.controlToken !== null) {
      throw usageError(
        name("controlToken"),
        "(hidden)",
        `has no effect without ${name("control")}`,
      );
    }
    return;
  }
  if (!config.metrics) {
    throw usageError(name("control"), true, `needs the admin server (${name("metrics")})`);
  }
  if (config.controlToken === null && !isLoopbackHost(config.metricsHost)) {
    throw usageError(
      name("control"),
      true,
      `needs ${name("controlToken")} when ${name("metricsHost")} ${config.metricsHost} is not a loopback address`,
    );
  }
}

/** Each profile's faults combine as the flags do; its port is its own. */
function checkProfiles(config: Config, name: NameOf): void {
  const taken = new Map<number, string>([[config.port, name("port")]]);
  if (config.tlsPort !== null) taken.set(config.tlsPort, name("tlsPort"));
  if (config.metrics) taken.set(config.metricsPort, name("metricsPort"));
  for (const profile of config.profile) {
    checkFaults(
      profile.faults,
      (key) => `${name("profile")} ${profile.name}: ${OPTION_TABLE[key].flag}`,
    );
    const other = taken.get(profile.port);
    if (profile.port !== 0 && other !== undefined) {
      throw usageError(name("profile"), profile.name, `port ${profile.port} is taken by ${other}`);
    }
    taken.set(profile.port, `${name("profile")} ${profile.name}`);
  }
}

const WILDCARDS = new Set(["0.0.0.0", "::", ""]);

function hostsOverlap(a: string, b: string): boolean {
  return a === b || WILDCARDS.has(a) || WILDCARDS.has(b);
}
