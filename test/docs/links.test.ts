/**
 * The docs hold together: every relative link in README.md and docs/*.md
 * points to a file that exists (and, for a Markdown page, to a heading it
 * has), and README.md stays short enough to read as a front page.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "../..");
const README_MAX_BYTES = 20_480;

const pages = [
  "README.md",
  ...readdirSync(join(ROOT, "docs"))
    .filter((name) => name.endsWith(".md"))
    .sort()
    .map((name) => `docs/${name}`),
];

/** The page's text outside fenced code blocks and inline code spans. */
function prose(markdown: string): string {
  return markdown.replace(/^```[\s\S]*?^```/gm, "").replace(/`[^`\n]*`/g, "");
}

/** Link targets of `[text](target)` in the page's prose. */
function linkTargets(markdown: string): string[] {
  return [...prose(markdown).matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1] ?? "");
}

/** GitHub's anchors for a page's headings: lower case, punctuation dropped, spaces as dashes. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  const withoutCode = markdown.replace(/^```[\s\S]*?^```/gm, "");
  for (const m of withoutCode.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = (m[1] ?? "")
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, "")
      .replace(/\s/g, "-");
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

function isRelative(target: string): boolean {
  return !/^[a-z][a-z0-9+.-]*:/i.test(target);
}

describe("docs", () => {
  test("README.md is at most 20 KiB", () => {
    expect(statSync(join(ROOT, "README.md")).size).toBeLessThanOrEqual(README_MAX_BYTES);
  });

  test("README.md links to every page in docs/", () => {
    const linked = new Set(
      linkTargets(readFileSync(join(ROOT, "README.md"), "utf8")).map((t) => t.split("#")[0]),
    );
    for (const page of pages.filter((p) => p !== "README.md")) expect(linked).toContain(page);
  });

  for (const page of pages) {
    test(`every relative link in ${page} points to a file and heading that exist`, () => {
      const text = readFileSync(join(ROOT, page), "utf8");
      const broken: string[] = [];
      for (const target of linkTargets(text).filter(isRelative)) {
        const [path = "", fragment] = target.split("#");
        const file =
          path === "" ? join(ROOT, page) : resolve(ROOT, dirname(page), decodeURIComponent(path));
        if (!existsSync(file)) {
          broken.push(`${target}: no file ${relative(ROOT, file)}`);
          continue;
        }
        if (fragment !== undefined && file.endsWith(".md")) {
          if (!anchors(readFileSync(file, "utf8")).has(fragment)) {
            broken.push(`${target}: no heading #${fragment} in ${relative(ROOT, file)}`);
          }
        }
      }
      expect(broken).toEqual([]);
    });
  }
});
