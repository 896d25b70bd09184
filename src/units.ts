/**
 * Parsers for human-friendly sizes ("64KiB", "1MiB", "1500") and durations in
 * seconds ("300", "1.5", "250ms", "2m"). They return null on bad input so the
 * caller can build an error that names the option.
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

const NUMBER_WITH_UNIT = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i;

/** Bytes for "64KiB", "1MiB", "4096", "1.5MB"; null if malformed or negative. */
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
    return integer ? Math.floor(input) : input;
  }
  const match = NUMBER_WITH_UNIT.exec(input);
  if (!match) return null;
  const factor = units[(match[2] ?? "").toLowerCase()];
  if (factor === undefined) return null;
  const value = Number(match[1]) * factor;
  if (!Number.isFinite(value)) return null;
  return integer ? Math.floor(value) : value;
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
