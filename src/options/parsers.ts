/**
 * The value parsers of echod's options: each turns a raw value (text from a
 * flag or a variable, or a typed value from a test) into the typed one, or
 * throws a usage error that names the option as the user set it. Each also
 * says in words what it accepts, for the documentation table.
 */
import { availableParallelism } from "node:os";
import { usageError } from "../errors.ts";
import { parseBoolean, parseDecimal, parseInteger, parseSeconds, parseSize } from "../units.ts";

/** A parser: `read(value, name)` returns the typed value or throws naming `name`. */
export interface ValueParser<T> {
  readonly read: (value: unknown, name: string) => T;
  /** The accepted forms, in the documentation's words. */
  readonly accepts: string;
}

/** `--delay MS[:JITTER]`: each chunk (or message) waits `ms` plus up to `jitterMs` more. */
export interface Delay {
  readonly ms: number;
  readonly jitterMs: number;
}

/** The longest --delay (with jitter): timers past 2^31 ms would fire at once. */
export const MAX_DELAY_MS = 3_600_000;

/** The longest --timeout, --slow-close or --limit-time: timers past 2^31 - 1 ms would fire at once. */
export const MAX_TIMER_MS = 2_147_483_647;

/** The most workers accepted: more than this only adds memory and scheduling. */
export const MAX_WORKERS = 256;

/** How text becomes a number of one kind, which typed numbers count as one, and its name in words. */
interface NumberKind {
  readonly noun: string;
  readonly parse: (text: string) => number | null;
  readonly is: (n: number) => boolean;
}

const INTEGER: NumberKind = {
  noun: "decimal integer",
  parse: parseInteger,
  is: Number.isSafeInteger,
};
const DECIMAL: NumberKind = { noun: "decimal number", parse: parseDecimal, is: Number.isFinite };

/** `value` as a `kind` number from `min` to `max`, or null: text is parsed, a typed number taken as is. */
function numberIn(kind: NumberKind, min: number, max: number, value: unknown): number | null {
  const n = typeof value === "string" ? kind.parse(value) : value;
  return typeof n === "number" && kind.is(n) && n >= min && n <= max ? n : null;
}

/**
 * `kind` numbers from `min` to `max` (no upper bound when left out); the
 * docs' words and the error both come from the range, with `example` if given.
 */
function numberParser(
  kind: NumberKind,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
  example?: string,
): ValueParser<number> {
  const bounded = max !== Number.MAX_SAFE_INTEGER;
  const range = bounded ? `${min} to ${max}` : `at least ${min}`;
  const mustBe = `a ${kind.noun} ${bounded ? `from ${min} to ${max}` : `of at least ${min}`}`;
  const shown = example === undefined ? "" : ` (\`${example}\`)`;
  const suchAs = example === undefined ? "" : `, such as ${example}`;
  return {
    accepts: `${kind.noun}, ${range}${shown}`,
    read(value, name) {
      const n = numberIn(kind, min, max, value);
      if (n === null) throw usageError(name, value, `must be ${mustBe}${suchAs}`);
      return n;
    },
  };
}

export const port = numberParser(INTEGER, 0, 65535);

export const host: ValueParser<string> = {
  accepts: "host name or IP address; `[::1]` is read as `::1`",
  read(value, name) {
    if (typeof value !== "string" || value.trim() === "" || /\s/.test(value)) {
      throw usageError(name, value, "must be a host name or an IP address");
    }
    // Accept the bracketed IPv6 form people paste from URLs: [::1] -> ::1.
    return value.replace(/^\[(.*)\]$/, "$1");
  },
};

export function integer(min: number): ValueParser<number> {
  return numberParser(INTEGER, min);
}

export function integerIn(min: number, max: number): ValueParser<number> {
  return numberParser(INTEGER, min, max);
}

export const workers: ValueParser<number> = {
  accepts: `\`auto\` (one per CPU) or a decimal integer, 1 to ${MAX_WORKERS}`,
  read(value, name) {
    if (value === "auto") return availableParallelism();
    const n = numberIn(INTEGER, 1, MAX_WORKERS, value);
    if (n === null) {
      throw usageError(name, value, `must be auto or a decimal integer from 1 to ${MAX_WORKERS}`);
    }
    return n;
  },
};

export function size(min: number, max = Number.MAX_SAFE_INTEGER): ValueParser<number> {
  const range = max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `${min} to ${max}`;
  return {
    accepts: `bytes (\`65536\`, \`64KiB\`, \`1MiB\`, \`1.5MB\`), ${range}`,
    read(value, name) {
      const bytes =
        typeof value === "string" || typeof value === "number" ? parseSize(value) : null;
      if (bytes === null) {
        throw usageError(name, value, "must be a size such as 65536, 64KiB or 1MiB");
      }
      if (bytes < min) throw usageError(name, value, `must be at least ${min} bytes`);
      if (bytes > max) throw usageError(name, value, `must be at most ${max} bytes`);
      return bytes;
    },
  };
}

export const seconds: ValueParser<number> = {
  accepts: "seconds (`10`, `1.5`) or with a unit (`250ms`, `2m`, `1h`)",
  read(value, name) {
    const s = typeof value === "string" || typeof value === "number" ? parseSeconds(value) : null;
    if (s === null) {
      throw usageError(name, value, "must be a non-negative number of seconds (or 250ms, 2m)");
    }
    return s;
  },
};

export const fraction = numberParser(DECIMAL, 0, 1, "0.25");

/** Whole milliseconds for a per-connection timer; 0 = off. */
export const milliseconds: ValueParser<number> = {
  ...numberParser(INTEGER, 0, MAX_TIMER_MS, "250"),
  accepts: `whole milliseconds, 0 to ${MAX_TIMER_MS} (\`250\`)`,
};

/** Only "true" and "false", for `--x=VALUE` and `ECHOD_X` alike, so the two cannot disagree. */
export const boolean: ValueParser<boolean> = {
  accepts: "`true` or `false`",
  read(value, name) {
    const b = typeof value === "string" ? parseBoolean(value) : value;
    if (typeof b !== "boolean") throw usageError(name, value, "must be true or false");
    return b;
  },
};

export function choice<T extends string>(choices: readonly T[]): ValueParser<T> {
  return {
    accepts: choices.map((c) => `\`${c}\``).join(", "),
    read(value, name) {
      if (typeof value === "string" && (choices as readonly string[]).includes(value)) {
        return value as T;
      }
      throw usageError(name, value, `must be one of ${choices.join(", ")}`);
    },
  };
}

export const path: ValueParser<string> = {
  accepts: "file path",
  read(value, name) {
    if (typeof value !== "string" || value.trim() === "") {
      throw usageError(name, value, "must be a file path");
    }
    return value;
  },
};

export const fileMode: ValueParser<number> = {
  accepts: "octal file mode (`0660`, `600`)",
  read(value, name) {
    const mode =
      typeof value === "string" && /^0?[0-7]{3}$/.test(value) ? Number.parseInt(value, 8) : value;
    if (typeof mode !== "number" || !Number.isInteger(mode) || mode < 0 || mode > 0o777) {
      throw usageError(name, value, "must be an octal file mode such as 0660");
    }
    return mode;
  },
};

export const delay: ValueParser<Delay> = {
  accepts: `milliseconds \`MS\` or \`MS:JITTER\` (\`200\`, \`200:50\`), together at most ${MAX_DELAY_MS}`,
  read(value, name) {
    if (typeof value === "object" && value !== null) return value as Delay;
    const text = typeof value === "string" || typeof value === "number" ? String(value) : "";
    const [msText = "", jitterText = "0", extra] = text.split(":");
    const ms = parseDecimal(msText);
    const jitterMs = extra === undefined ? parseDecimal(jitterText) : null;
    if (ms === null || jitterMs === null) {
      throw usageError(name, value, "must be milliseconds, optionally with jitter: 200 or 200:50");
    }
    if (ms + jitterMs > MAX_DELAY_MS) {
      throw usageError(name, value, `must add up to at most ${MAX_DELAY_MS} ms (one hour)`);
    }
    return Object.freeze({ ms, jitterMs });
  },
};

/** Unset, empty, "off" or "none" means null; anything else goes through `parser`. */
export function optional<T>(parser: ValueParser<T>): ValueParser<T | null> {
  return {
    accepts: `${parser.accepts}; \`off\`, \`none\` or empty for none`,
    read(value, name) {
      if (value === null || value === undefined || value === false) return null;
      if (typeof value === "string" && ["", "off", "none"].includes(value)) return null;
      return parser.read(value, name);
    },
  };
}
