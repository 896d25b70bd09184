/**
 * The value grammar of src/units.ts, in process: one decimal form for every
 * number (no sign, exponent, hex, leading zero or whitespace), sizes in whole
 * bytes with binary and decimal units, durations in seconds, and booleans
 * spelled exactly "true" or "false". Bad input gives null, never a guess.
 */
import { describe, expect, test } from "bun:test";
import {
  formatSize,
  parseBoolean,
  parseDecimal,
  parseInteger,
  parseSeconds,
  parseSize,
} from "../src/units.ts";

/** Inputs no number parser accepts: each is a form `Number()` would read without a word. */
const NOT_DECIMAL = ["", " ", " 80", "80 ", "+80", "-80", "0x50", "0o17", "0b1", "1e3", "080"];
const NOT_DECIMAL_MORE = [".5", "5.", "1..2", "1,5", "Infinity", "NaN", "1_000", "٣"];

describe("parseInteger", () => {
  test("reads plain decimal integers", () => {
    expect(["0", "7", "8080", "65535"].map(parseInteger)).toEqual([0, 7, 8080, 65535]);
    expect(parseInteger("9007199254740991")).toBe(Number.MAX_SAFE_INTEGER);
  });

  for (const input of [...NOT_DECIMAL, ...NOT_DECIMAL_MORE, "1.5", "2.0", "00"]) {
    test(`${JSON.stringify(input)} is not an integer`, () => {
      expect(parseInteger(input)).toBeNull();
    });
  }

  test("a number past the safe integers is refused, not rounded", () => {
    expect(parseInteger("9007199254740993")).toBeNull();
  });
});

describe("parseDecimal", () => {
  test("reads integers and fractions", () => {
    expect(["0", "1", "0.25", "1.5", "10.125"].map(parseDecimal)).toEqual([
      0, 1, 0.25, 1.5, 10.125,
    ]);
    expect(parseDecimal("1.0")).toBe(1);
  });

  for (const input of [...NOT_DECIMAL, ...NOT_DECIMAL_MORE, "1e-1", "00.5"]) {
    test(`${JSON.stringify(input)} is not a decimal`, () => {
      expect(parseDecimal(input)).toBeNull();
    });
  }

  test("a number too large to be finite is refused", () => {
    expect(parseDecimal("9".repeat(400))).toBeNull();
  });
});

describe("parseBoolean", () => {
  test('only "true" and "false"', () => {
    expect([parseBoolean("true"), parseBoolean("false")]).toEqual([true, false]);
    for (const input of [
      "TRUE",
      "False",
      "1",
      "0",
      "yes",
      "no",
      "on",
      "off",
      " true",
      "true ",
      "",
    ]) {
      expect(parseBoolean(input)).toBeNull();
    }
  });
});

describe("parseSize", () => {
  /** Each size and the spellings that read as it. */
  const GOOD: [number, string[]][] = [
    [0, ["0"]],
    [1, ["1b"]],
    [512, ["0.5KiB"]],
    [1100, ["1.1KB"]],
    [1500, ["1500"]],
    [1536, ["1.5KiB"]],
    [64_000, ["64KB"]],
    [65_536, ["64k", "64KiB", "64kib"]],
    [1_000_000, ["1MB"]],
    [1_048_576, ["1m", "1MiB"]],
    [1_500_000, ["1.5MB"]],
    [1024 ** 3, ["1g", "1GiB"]],
    [2_000_000_000, ["2GB"]],
  ];
  for (const [bytes, spellings] of GOOD) {
    for (const input of spellings) {
      test(`${input} is ${bytes} bytes`, () => {
        expect(parseSize(input)).toBe(bytes);
      });
    }
  }

  const BAD = [
    ...NOT_DECIMAL,
    ".5KiB",
    "64 KiB",
    "64KiB ",
    "1TiB",
    "1kbit",
    "KiB",
    "0.5",
    "1.0001KB",
  ];
  for (const input of BAD) {
    test(`${JSON.stringify(input)} is not a size`, () => {
      expect(parseSize(input)).toBeNull();
    });
  }

  test("numbers: whole, finite and not negative", () => {
    expect(parseSize(4096)).toBe(4096);
    expect(parseSize(0)).toBe(0);
    for (const n of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])
      expect(parseSize(n)).toBeNull();
  });

  test("a size past the safe integers is refused", () => {
    expect(parseSize("9007199254740992")).toBeNull();
    expect(parseSize("8388608GiB")).toBeNull();
  });
});

describe("parseSeconds", () => {
  const GOOD: [string, number][] = [
    ["0", 0],
    ["300", 300],
    ["1.5", 1.5],
    ["0.5", 0.5],
    ["250ms", 0.25],
    ["10s", 10],
    ["2m", 120],
    ["1h", 3600],
    ["1.5H", 5400],
    ["100MS", 0.1],
  ];
  for (const [input, seconds] of GOOD) {
    test(`${input} is ${seconds} s`, () => {
      expect(parseSeconds(input)).toBe(seconds);
    });
  }

  for (const input of [...NOT_DECIMAL, ".5", "5.", "1d", "10 s", "ms", "1e3ms", "-1s"]) {
    test(`${JSON.stringify(input)} is not a duration`, () => {
      expect(parseSeconds(input)).toBeNull();
    });
  }

  test("numbers: finite and not negative, fractions allowed", () => {
    expect([parseSeconds(0), parseSeconds(2.5)]).toEqual([0, 2.5]);
    for (const n of [-0.1, Number.NaN, Number.POSITIVE_INFINITY])
      expect(parseSeconds(n)).toBeNull();
  });
});

describe("formatSize", () => {
  const CASES: [number, string][] = [
    [0, "0 B"],
    [1, "1 B"],
    [1000, "1000 B"],
    [1023, "1023 B"],
    [1024, "1 KiB"],
    [1536, "1536 B"],
    [65_536, "64 KiB"],
    [1_048_576, "1 MiB"],
    [1_572_864, "1536 KiB"],
    [1024 ** 3, "1 GiB"],
    [4 * 1024 ** 3, "4 GiB"],
    [1024 ** 4, "1024 GiB"],
  ];
  for (const [bytes, text] of CASES) {
    test(`${bytes} bytes read ${JSON.stringify(text)}`, () => {
      expect(formatSize(bytes)).toBe(text);
    });
  }

  test("the text reads back as the same size, spaces removed", () => {
    for (const [bytes, text] of CASES) expect(parseSize(text.replace(" ", ""))).toBe(bytes);
  });
});
