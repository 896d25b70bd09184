/**
 * docs/bench-options.md is the table in bench/harness/options.ts, rendered:
 * a flag added, renamed or redescribed there without rerunning
 * `bun bench/harness/options-docs.ts` fails here.
 */
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { FLAGS } from "../../../bench/harness/options.ts";
import { DOCS_PATH, renderOptionsPage } from "../../../bench/harness/options-docs.ts";

test("docs/bench-options.md matches the options table (rerun bun bench/harness/options-docs.ts)", () => {
  expect(readFileSync(DOCS_PATH, "utf8")).toBe(renderOptionsPage());
});

test("the page has one row per flag of the table", () => {
  const rows = readFileSync(DOCS_PATH, "utf8")
    .split("\n")
    .filter((line) => line.startsWith("| `--"));
  expect(rows.map((r) => /^\| `--([a-z-]+)`/.exec(r)?.[1])).toEqual(FLAGS.map((f) => f.flag));
});
