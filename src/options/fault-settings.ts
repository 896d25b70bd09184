/**
 * One listener's fault settings, derived from the FAULT_OPTIONS rows: the
 * keys are the flags (`delay`, `close-after`), the values go through each
 * row's own parser, so the control API, --faults FILE and --profile accept
 * exactly what the flags accept, and a fault added to the table appears in
 * all three with no change here.
 */
import { usageError } from "../errors.ts";
import { FAULT_OPTIONS } from "./faults.ts";
import type { OptionSpec } from "./spec.ts";

type FaultTable = typeof FAULT_OPTIONS;
export type FaultKey = keyof FaultTable;

/** Every fault option's value, typed by its parser (a slice of Config). */
export type FaultSettings = {
  readonly [K in FaultKey]: FaultTable[K] extends OptionSpec<infer T> ? T : never;
};

const ROWS = Object.entries(FAULT_OPTIONS) as [FaultKey, OptionSpec<unknown>][];

/** The flags, in table order: the keys of GET /faults. */
export const FAULT_FLAGS: readonly string[] = ROWS.map(([, spec]) => spec.flag);

const KEY_OF_FLAG = new Map<string, FaultKey>(ROWS.map(([key, spec]) => [spec.flag, key]));

/** The defaults: no fault. */
export const NO_FAULTS: FaultSettings = Object.freeze(
  Object.fromEntries(ROWS.map(([key, spec]) => [key, spec.default])) as FaultSettings,
);

/** The fault values of a Config (or any superset of the settings). */
export function faultsOf(config: FaultSettings): FaultSettings {
  return Object.freeze(
    Object.fromEntries(ROWS.map(([key]) => [key, config[key]])) as FaultSettings,
  );
}

/**
 * Reads `{flag: value}` (from JSON, YAML or `--profile`) over `base`:
 * each value through its flag's parser, so errors name `${where}${flag}`
 * and the value. An unknown flag, or a value that is not a string, number
 * or boolean, is an error too.
 */
export function readFaults(
  input: Readonly<Record<string, unknown>>,
  base: FaultSettings,
  where: string,
): FaultSettings {
  const out: Record<string, unknown> = { ...base };
  for (const [flag, value] of Object.entries(input)) {
    const key = KEY_OF_FLAG.get(flag);
    if (key === undefined) {
      throw usageError(
        `${where}${flag}`,
        value,
        `is not a fault (one of ${FAULT_FLAGS.join(", ")})`,
      );
    }
    if (value !== null && !["string", "number", "boolean"].includes(typeof value)) {
      throw usageError(`${where}${flag}`, JSON.stringify(value), "must be a string or a number");
    }
    out[key] = FAULT_OPTIONS[key].parser.read(value, `${where}${flag}`);
  }
  return Object.freeze(out as FaultSettings);
}

/** The settings as flag-keyed JSON in the flags' units (a delay with jitter as "MS:JITTER"). */
export function formatFaults(settings: FaultSettings): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, spec] of ROWS) out[spec.flag] = formatValue(settings[key]);
  return out;
}

function formatValue(value: unknown): unknown {
  if (typeof value === "object" && value !== null && "ms" in value && "jitterMs" in value) {
    const { ms, jitterMs } = value as { ms: number; jitterMs: number };
    return jitterMs === 0 ? ms : `${ms}:${jitterMs}`;
  }
  return value;
}
