/**
 * Every echod option, once: each row (in src/options/, by group) holds the
 * flag, alias, default, parser, help line and docs text. The Config type, the
 * defaults, the yargs definition (src/cli/), --help and the table in
 * docs/configuration.md (src/options-doc.ts) all come from this table; the
 * environment variable follows from the flag (envName).
 */
import { ADMIN_OPTIONS } from "./options/admin.ts";
import type { AcceptRate } from "./options/admission.ts";
import { ADMISSION_OPTIONS } from "./options/admission.ts";
import { CLUSTER_OPTIONS } from "./options/cluster.ts";
import { CONTROL_OPTIONS } from "./options/control.ts";
import { FAULT_OPTIONS } from "./options/faults.ts";
import { LISTENER_OPTIONS } from "./options/listeners.ts";
import type { Delay } from "./options/parsers.ts";
import type { Profile } from "./options/profiles.ts";
import { SERVICE_OPTIONS } from "./options/service.ts";
import type { OptionSpec } from "./options/spec.ts";

export {
  LOG_FORMATS,
  LOG_LEVELS,
  type LogFormat,
  type LogLevel,
} from "./options/admin.ts";
export { AUTO_MEMORY_SHARE, type MemorySetting } from "./options/cluster.ts";
export type { FaultSettings } from "./options/fault-settings.ts";
export { FRAMINGS, type Framing, MAX_UDP_PAYLOAD } from "./options/listeners.ts";
export { type Delay, MAX_DELAY_MS, MAX_WORKERS } from "./options/parsers.ts";
export type { Profile } from "./options/profiles.ts";
export { MIN_MAX_BUFFER } from "./options/service.ts";
export { envName, type OptionSpec, shownDefault } from "./options/spec.ts";

/** The groups, as the docs show them, each in the order --help lists its options. */
export const OPTION_GROUPS = [
  { title: "Service", options: SERVICE_OPTIONS },
  { title: "Listeners and framing", options: LISTENER_OPTIONS },
  { title: "Admission and PROXY protocol", options: ADMISSION_OPTIONS },
  { title: "Faults", options: FAULT_OPTIONS },
  { title: "Banner, socket options and memory", options: CLUSTER_OPTIONS },
  { title: "Admin server and logs", options: ADMIN_OPTIONS },
  { title: "Control API and profiles", options: CONTROL_OPTIONS },
] as const;

export const OPTION_TABLE = {
  ...SERVICE_OPTIONS,
  ...LISTENER_OPTIONS,
  ...ADMISSION_OPTIONS,
  ...FAULT_OPTIONS,
  ...CLUSTER_OPTIONS,
  ...ADMIN_OPTIONS,
  ...CONTROL_OPTIONS,
} as const;

export type OptionKey = keyof typeof OPTION_TABLE;

/** The validated configuration: one field per option, typed by its parser. */
export type Config = {
  readonly [K in OptionKey]: (typeof OPTION_TABLE)[K] extends OptionSpec<infer T> ? T : never;
};

/** One row of the table with its key. */
export type OptionRow = OptionSpec<unknown> & { readonly key: OptionKey };

function rows(options: Readonly<Record<string, OptionSpec<unknown>>>): readonly OptionRow[] {
  return Object.entries(options).map(([key, spec]) => ({ ...spec, key: key as OptionKey }));
}

/** Every option, in the order --help lists them. */
export const OPTIONS: readonly OptionRow[] = rows(OPTION_TABLE);

/** The rows of each group, for the docs. */
export const GROUPED_OPTIONS = OPTION_GROUPS.map((g) => ({
  title: g.title,
  rows: rows(g.options),
}));

export const DEFAULTS: Config = Object.freeze(
  Object.fromEntries(OPTIONS.map((o) => [o.key, o.default])) as Config,
);

/** What a caller may pass: any subset, as strings (flags, env) or typed values. */
export type RawOptions = {
  readonly [K in OptionKey]?:
    | string
    | number
    | boolean
    | Delay
    | AcceptRate
    | readonly string[]
    | readonly Profile[]
    | null
    | undefined;
};
