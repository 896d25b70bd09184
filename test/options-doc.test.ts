/**
 * docs/configuration.md and the options table agree: the page's generated
 * part is exactly what `npm run docs:options` writes, so an option added,
 * renamed or given a new default without regenerating the page fails here.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { envName, OPTIONS, shownDefault } from "../src/options.ts";
import {
  DOC_PATH,
  END,
  renderOptionsReference,
  replaceGenerated,
  START,
} from "../src/options-doc.ts";

const page = readFileSync(DOC_PATH, "utf8");

describe("docs/configuration.md", () => {
  test("its options table is the one generated from the table (run npm run docs:options)", () => {
    expect(replaceGenerated(page, renderOptionsReference())).toBe(page);
  });

  test("lists every option once, with its variable and default", () => {
    const generated = page.slice(page.indexOf(START), page.indexOf(END));
    for (const o of OPTIONS) {
      const rows = generated.split("\n").filter((l) => l.startsWith(`| \`--${o.flag}\``));
      expect(rows).toHaveLength(1);
      expect(rows[0]).toContain(`| \`${envName(o.flag)}\``);
      expect(rows[0]).toContain(`| \`${shownDefault(o)}\``);
    }
  });

  test("a page without the markers is an error, not a silent no-op", () => {
    expect(() => replaceGenerated("# no markers\n", "x")).toThrow(
      `the markers ${START} and ${END} are missing from the page`,
    );
  });

  test("regenerating replaces only the part between the markers", () => {
    const before = `intro\n${START}\nold\n${END}\noutro\n`;
    expect(replaceGenerated(before, "new")).toBe(`intro\n${START}\n\nnew\n\n${END}\noutro\n`);
  });
});
