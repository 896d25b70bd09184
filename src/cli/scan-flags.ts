/**
 * A token scanner over argv for what yargs gets wrong for us: a flag given
 * twice and `--switch=VALUE`. Shared with echod-bench, whose flags follow the
 * same rules.
 */
import { EchodError } from "../errors.ts";

/** A flag as `scanFlags` sees it: its name, its one-letter alias, and whether it is a switch. */
export interface FlagShape {
  readonly flag: string;
  readonly alias?: string;
  readonly boolean: boolean;
  /** May be given more than once (`--profile`): each value is collected, none is an error. */
  readonly repeatable?: boolean;
}

/** yargs-parser reads a token like this as a value (a negative number), never as a flag. */
const NEGATIVE_NUMBER = /^-(\d+(\.\d+)?|\.\d+)$/;

/**
 * Walks argv token by token, as yargs-parser splits it, for two things yargs
 * gets wrong for us: a flag given twice (yargs keeps the last one silently)
 * and `--switch=VALUE` (yargs reads every VALUE but "true" as false). Throws a
 * usage error naming a flag given more than once, in any spelling (`-p`,
 * `--port=`, `--no-x`); returns the text of each `--switch=VALUE` by flag, so
 * the caller validates it exactly like the environment variable. Flags not in
 * `shapes` are left to yargs' strict mode.
 */
export function scanFlags(
  argv: readonly string[],
  shapes: readonly FlagShape[],
  /** Filled with each repeatable flag's values, in order. */
  repeated: Record<string, string[]> = {},
): Record<string, string> {
  const byName = new Map<string, FlagShape>();
  for (const s of shapes) {
    byName.set(s.flag, s);
    if (s.alias !== undefined) byName.set(s.alias, s);
  }
  const seen = new Map<string, string[]>();
  const booleanText: Record<string, string> = {};
  const note = (shape: FlagShape, typed: string, text?: string, value = text) => {
    if (shape.repeatable === true) {
      if (value !== undefined) repeated[shape.flag] = [...(repeated[shape.flag] ?? []), value];
      return;
    }
    seen.set(shape.flag, [...(seen.get(shape.flag) ?? []), typed]);
    if (text !== undefined && shape.boolean) booleanText[shape.flag] = text;
  };
  // The value after `--flag` or `-f`, when yargs would take it: any non-flag for an
  // option with a value, only "true" or "false" for a switch.
  const takesNext = (shape: FlagShape, next: string | undefined) =>
    next !== undefined &&
    (shape.boolean
      ? /^(true|false)$/.test(next)
      : !next.startsWith("-") || NEGATIVE_NUMBER.test(next));
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] as string;
    if (token === "--") break;
    if (!token.startsWith("-") || token === "-" || NEGATIVE_NUMBER.test(token)) continue;
    if (token.startsWith("--")) {
      const eq = token.indexOf("=");
      const name = token.slice(2, eq < 0 ? undefined : eq);
      const negated = eq < 0 && name.startsWith("no-") ? byName.get(name.slice(3)) : undefined;
      const shape = negated ?? byName.get(name);
      if (shape === undefined) continue;
      if (eq >= 0) note(shape, token, token.slice(eq + 1));
      else if (negated === undefined && takesNext(shape, argv[i + 1])) {
        note(shape, `${token} ${argv[i + 1]}`, undefined, argv[i + 1]);
        i++;
      } else note(shape, token);
      continue;
    }
    // One-letter flags, alone or grouped: "-p 7007", "-p7007", "-p=7007", "-jc 5".
    // As in yargs-parser, a value glued to a letter ends the group.
    const letters = token.slice(1);
    for (let j = 0; j < letters.length; j++) {
      const letter = letters[j] as string;
      const shape = byName.get(letter);
      const rest = letters.slice(j + 1);
      const glued = rest.startsWith("=")
        ? rest.slice(1)
        : /^-?\d+(\.\d*)?(e-?\d+)?$/.test(rest) || /^\W/.test(rest)
          ? rest
          : undefined;
      if (glued !== undefined) {
        if (shape !== undefined) note(shape, token, glued);
        break;
      }
      if (shape === undefined) continue;
      if (rest === "" && takesNext(shape, argv[i + 1])) {
        note(shape, `${token} ${argv[i + 1]}`, undefined, argv[i + 1]);
        i++;
      } else note(shape, token);
    }
  }
  for (const [flag, typed] of seen) {
    if (typed.length > 1) {
      throw new EchodError(
        "E_USAGE",
        `--${flag} given more than once (${typed.join(", ")}): give each option once`,
      );
    }
  }
  return booleanText;
}
