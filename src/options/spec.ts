/**
 * The shape of one row of echod's options table (src/options.ts), and the
 * names derived from it: the flag is written once per option, the
 * environment variable follows from it.
 */
import type { ValueParser } from "./parsers.ts";

export const ENV_PREFIX = "ECHOD";

export interface OptionSpec<T> {
  /** The long flag without its dashes: `max-buffer`. */
  readonly flag: string;
  /** A one-letter spelling, `p` for `-p`. */
  readonly alias?: string;
  /** A switch: `--x`, `--no-x`, `--x=true|false`; every other option takes a value. */
  readonly switch?: true;
  /** May be given more than once; the parser then gets every value, in order. */
  readonly repeatable?: true;
  readonly default: NoInfer<T>;
  /** The default as --help and the docs show it, when `String(default)` is not it. */
  readonly shown?: string;
  readonly parser: ValueParser<T>;
  /** One line for --help. */
  readonly help: string;
  /** The meaning, for the documentation table (Markdown). */
  readonly docs: string;
}

/** Identity, so TypeScript infers each row's value type from its parser. */
export function option<T>(spec: OptionSpec<T>): OptionSpec<T> {
  return spec;
}

/** `max-buffer` -> `ECHOD_MAX_BUFFER`. */
export function envName(flag: string): string {
  return `${ENV_PREFIX}_${flag.toUpperCase().replaceAll("-", "_")}`;
}

/** The default as shown to people: `shown`, else the value itself. */
export function shownDefault(spec: OptionSpec<unknown>): string {
  return spec.shown ?? String(spec.default);
}
