/**
 * `--profile NAME:PORT:KEY=VALUE,...`: an extra TCP listener with its own
 * faults (each KEY a fault flag, each VALUE read by that flag's parser) and
 * its own `listener` label in the metrics. Repeatable; in ECHOD_PROFILE,
 * profiles are separated by spaces.
 */
import { usageError } from "../errors.ts";
import { type FaultSettings, NO_FAULTS, readFaults } from "./fault-settings.ts";
import * as p from "./parsers.ts";

export interface Profile {
  readonly name: string;
  readonly port: number;
  /** The profile's faults over no faults (not over the flags: a profile port starts clean). */
  readonly faults: FaultSettings;
}

/** The names the built-in listeners use in the `listener` label. */
export const RESERVED_NAMES: readonly string[] = ["tcp", "tls", "unix", "udp"];

const NAME = /^[a-z][a-z0-9_-]{0,31}$/;

export const profiles: p.ValueParser<readonly Profile[]> = {
  accepts:
    "`NAME:PORT` then `:KEY=VALUE,...` with fault flags as keys (`slow:7008:delay=200`); repeatable",
  read(value, name) {
    if (Array.isArray(value) && value.every((v) => typeof v === "object")) {
      return value as readonly Profile[]; // already read (a typed value from a test)
    }
    const texts = (Array.isArray(value) ? value : [value]).flatMap((v) =>
      typeof v === "string" ? v.split(/\s+/).filter((t) => t !== "") : [v],
    );
    const seen = new Set<string>();
    return Object.freeze(
      texts.map((text) => {
        const profile = readProfile(text, name);
        if (seen.has(profile.name)) {
          throw usageError(name, text, `profile name ${profile.name} is given twice`);
        }
        seen.add(profile.name);
        return profile;
      }),
    );
  },
};

function readProfile(text: unknown, name: string): Profile {
  if (typeof text !== "string") throw usageError(name, text, "must be NAME:PORT[:KEY=VALUE,...]");
  const [profileName = "", portText = "", ...rest] = text.split(":");
  if (!NAME.test(profileName) || RESERVED_NAMES.includes(profileName)) {
    throw usageError(
      name,
      text,
      `the name must be lower-case letters, digits, - or _ (not ${RESERVED_NAMES.join(", ")})`,
    );
  }
  const port = p.port.read(portText, `${name} ${profileName}: port`);
  // The rest may hold colons of its own (delay=200:50).
  const spec = rest.join(":");
  const pairs: Record<string, string> = {};
  for (const pair of spec === "" ? [] : spec.split(",")) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw usageError(name, text, `${JSON.stringify(pair)} is not KEY=VALUE`);
    pairs[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  const faults = readFaults(pairs, NO_FAULTS, `${name} ${profileName}: `);
  return Object.freeze({ name: profileName, port, faults });
}
