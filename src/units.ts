/**
 * Strict parsers for option values: plain decimals ("300", "0.25"), sizes
 * ("64KiB", "1MiB", "1500"), durations in seconds ("300", "1.5", "250ms",
 * "2m") and booleans ("true", "false"). One grammar for every number: digits,
 * an optional fraction, no sign, exponent, hex, leading zero or whitespace,
 * because `Number()` reads "0x50", "1e3" and " 80" without a word. They return
 * null on bad input so the caller can build an error that names the option.
 */
const SIZE_UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  k: 1024,
  kb: 1000,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1000 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1000 ** 3,
  gib: 1024 ** 3,
};

const DURATION_UNITS: Record<string, number> = { "": 1, ms: 0.001, s: 1, m: 60, h: 3600 };

const INTEGER = "(?:0|[1-9]\\d*)";
const DECIMAL = `${INTEGER}(?:\\.\\d+)?`;
const INTEGER_TEXT = new RegExp(`^${INTEGER}$`);
const DECIMAL_TEXT = new RegExp(`^${DECIMAL}$`);
const NUMBER_WITH_UNIT = new RegExp(`^(${DECIMAL})([a-z]*)$`, "i");

/** A non-negative decimal integer ("0", "8080"); null for "0x50", "1e3", "080", " 80", "". */
export function parseInteger(input: string): number | null {
  if (!INTEGER_TEXT.test(input)) return null;
  const n = Number(input);
  return Number.isSafeInteger(n) ? n : null;
}

/** A non-negative decimal ("1", "0.25"); null for ".5", "1.", "0x1", "1e-1", "". */
export function parseDecimal(input: string): number | null {
  if (!DECIMAL_TEXT.test(input)) return null;
  const n = Number(input);
  return Number.isFinite(n) ? n : null;
}

/** "true" or "false", exactly: the one spelling a flag (`--x=VALUE`) and its variable share. */
export function parseBoolean(input: string): boolean | null {
  return input === "true" ? true : input === "false" ? false : null;
}

/** Bytes for "64KiB", "1MiB", "4096", "1.5MB"; null if malformed, negative or not a whole byte. */
export function parseSize(input: string | number): number | null {
  return parseWithUnits(input, SIZE_UNITS, true);
}

/** Seconds for "300", "1.5", "250ms", "2m", "1h"; null if malformed or negative. */
export function parseSeconds(input: string | number): number | null {
  return parseWithUnits(input, DURATION_UNITS, false);
}

function parseWithUnits(
  input: string | number,
  units: Record<string, number>,
  integer: boolean,
): number | null {
  if (typeof input === "number") {
    if (!Number.isFinite(input) || input < 0) return null;
    return integer && !Number.isInteger(input) ? null : input;
  }
  const match = NUMBER_WITH_UNIT.exec(input);
  if (!match) return null;
  const factor = units[(match[2] ?? "").toLowerCase()];
  if (factor === undefined) return null;
  const text = match[1] ?? "";
  if (!integer) {
    const seconds = Number(text) * factor;
    return Number.isFinite(seconds) ? seconds : null;
  }
  // Whole bytes, in exact integer arithmetic ("1.1KB" is 11 * 1000 / 10, not 1100.0000000000002).
  // A fraction of a byte is refused: "0.5" floored to 0 would mean "off" for the fault sizes.
  const [whole = "", fraction = ""] = text.split(".");
  const scale = 10 ** fraction.length;
  const scaled = Number(whole + fraction) * factor;
  return Number.isSafeInteger(scaled) && scaled % scale === 0 ? scaled / scale : null;
}

/** "1048576" -> "1 MiB", for log lines and help text. */
export function formatSize(bytes: number): string {
  for (const [unit, factor] of [
    ["GiB", 1024 ** 3],
    ["MiB", 1024 ** 2],
    ["KiB", 1024],
  ] as const) {
    if (bytes >= factor && bytes % factor === 0) return `${bytes / factor} ${unit}`;
  }
  return `${bytes} B`;
}
