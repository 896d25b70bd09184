#!/usr/bin/env bun
/**
 * The table of echod-bench's options in docs/bench-options.md, rendered from
 * the one list in options.ts. `bun bench/harness/options-docs.ts` rewrites the
 * page; test/bench/harness/options-docs.test.ts fails when they differ.
 */
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { FLAGS } from "./options.ts";

export const DOCS_PATH = resolve(import.meta.dir, "../../docs/bench-options.md");

/** The whole page: a short introduction and one row per flag. */
export function renderOptionsPage(): string {
  const rows = FLAGS.map((f) => {
    const names = [`\`--${f.flag}\``, ...(f.alias === undefined ? [] : [`\`-${f.alias}\``])];
    const shown = f.shownDefault ?? f.default;
    return [
      names.join(", "),
      f.boolean ? "switch" : "value",
      shown === undefined ? "" : `\`${shown}\``,
      f.describe.replaceAll("|", "\\|"),
    ];
  });
  const table = alignedTable(["option", "takes", "default", "meaning"], rows);
  return `# echod-bench options

\`echod-bench TARGET [options]\` (\`npm run bench -- TARGET [options]\`, or
\`bun bench/harness/cli.ts TARGET [options]\`) load-tests any echo server and
checks every byte it echoes; TARGET is \`host:port\` (TCP), \`tls://host:port\`,
\`unix:/path\` or \`udp://host:port\`. \`echod-bench merge FILE...\` merges the
reports of several runs ([benchmarking.md](benchmarking.md)). \`echod-bench --help\`
prints the same list.

<!-- Generated from bench/harness/options.ts by \`bun bench/harness/options-docs.ts\`; do not edit by hand. -->

${table}
`;
}

/** A Markdown table with padded columns, as formatters leave it. */
function alignedTable(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    `| ${widths.map((w, i) => (cells[i] ?? "").padEnd(w)).join(" | ")} |`;
  return [line(head), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

if (import.meta.main) {
  writeFileSync(DOCS_PATH, renderOptionsPage());
  process.stdout.write(`wrote ${DOCS_PATH}\n`);
}
