/**
 * `--faults FILE`: per-listener faults in JSON or YAML, the shape of GET
 * /faults (`{"listeners": {"tcp": {"delay": 200}}}`, plus an optional
 * `"scope"` for SIGHUP). Each listener's keys go over its flags (or its
 * --profile's), each value through its flag's parser. Read at start, where
 * a bad file is a usage error (exit 2) naming the key, and on SIGHUP, where
 * it is logged and changes nothing (faults-reload.ts).
 */
import { readFileSync } from "node:fs";
import { checkFaults } from "../config.ts";
import { EchodError, usageError } from "../errors.ts";
import { type FaultSettings, readFaults } from "../options/fault-settings.ts";
import { OPTION_TABLE } from "../options.ts";
import type { FaultScope } from "./control.ts";

export interface FaultsFile {
  /** Every listener the file names, with its whole settings. */
  readonly faults: Readonly<Record<string, FaultSettings>>;
  readonly scope: FaultScope;
}

/** Reads and checks `path` over `base` (each listener's flags); throws an EchodError naming the key. */
export function readFaultsFile(
  path: string,
  base: Readonly<Record<string, FaultSettings>>,
): FaultsFile {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as { code?: string }).code ?? "unknown error";
    throw new EchodError("E_FILE", `cannot read --faults file ${path}: ${code}`);
  }
  let doc: unknown;
  try {
    // YAML 1.2 reads JSON too. Loaded here, not at start: echod without --faults never needs it
    // (start-up to the first echo, bench/studies/startup.ts).
    const { parse } = require("yaml") as typeof import("yaml");
    doc = parse(text);
  } catch (error) {
    const why = (error as Error).message.split("\n")[0];
    throw new EchodError("E_FILE", `--faults file ${path} is neither JSON nor YAML: ${why}`);
  }
  const where = `--faults ${path}:`;
  if (!isObject(doc)) throw usageError(where, String(doc), "must hold an object with listeners");
  for (const key of Object.keys(doc)) {
    if (key !== "listeners" && key !== "scope") {
      throw usageError(`${where} ${key}`, JSON.stringify(doc[key]), "is not listeners or scope");
    }
  }
  const scope = doc.scope ?? "new";
  if (scope !== "new" && scope !== "all") {
    throw usageError(`${where} scope`, scope, "must be new or all");
  }
  const listeners = doc.listeners ?? {};
  if (!isObject(listeners)) {
    throw usageError(`${where} listeners`, JSON.stringify(listeners), "must be an object");
  }
  const faults: Record<string, FaultSettings> = {};
  for (const [name, input] of Object.entries(listeners)) {
    const own = Object.hasOwn(base, name) ? base[name] : undefined;
    if (own === undefined) {
      const names = Object.keys(base).join(", ");
      throw usageError(`${where} listeners`, name, `is not a stream listener (${names})`);
    }
    if (!isObject(input)) {
      throw usageError(`${where} listeners.${name}`, JSON.stringify(input), "must be an object");
    }
    const next = readFaults(input, own, `${where} listeners.${name}.`);
    checkFaults(next, (key) => `${where} listeners.${name}.${OPTION_TABLE[key].flag}`);
    faults[name] = next;
  }
  return { faults, scope };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
