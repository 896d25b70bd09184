/**
 * The command line of `echod-bench merge FILE... [--threshold EXPR]...
 * [--json] [--title TEXT]` (`-` for standard input): parsed here, pure; the
 * CLI (cli.ts) reads the files, prints and exits. A report file holds one
 * --json line per run; lines that are not JSON objects are skipped.
 */
import { EchodError, usageError } from "../../src/errors.ts";
import { parseThreshold, type Threshold } from "./thresholds.ts";

export interface MergeArgs {
  readonly files: readonly string[];
  readonly thresholds: readonly Threshold[];
  readonly json: boolean;
  readonly title: string | null;
}

export const MERGE_USAGE = `echod-bench merge FILE... [options]

Merges the --json reports of several runs (one JSON line per run; FILE - is standard input) into one
report: histograms merged bucket by bucket, counts and connections added. Runs of different shapes are refused.

Options:
  --threshold EXPR  judged on the merged result (repeatable; exit 99 when one breaks)
  --json, -j        the merged report as one JSON line on stdout
  --title TEXT      the merged report's title`;

export function parseMergeArgs(argv: readonly string[]): MergeArgs | "help" {
  const files: string[] = [];
  const thresholds: Threshold[] = [];
  let json = false;
  let title: string | null = null;
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] as string;
    const [flag, inline] =
      token.startsWith("--") && token.includes("=")
        ? [token.slice(0, token.indexOf("=")), token.slice(token.indexOf("=") + 1)]
        : [token, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw usageError(flag, "", "needs a value");
      return v;
    };
    if (flag === "--help" || flag === "-h") return "help";
    else if (flag === "--threshold") thresholds.push(parseThreshold(value()));
    else if (flag === "--json" || flag === "-j") json = true;
    else if (flag === "--title") title = value();
    else if (token === "-" || !token.startsWith("-")) files.push(token);
    else throw new EchodError("E_USAGE", `unknown option ${token} (see echod-bench merge --help)`);
  }
  if (files.length === 0) {
    throw new EchodError(
      "E_USAGE",
      "merge: give the report files to merge, or - for standard input",
    );
  }
  return { files, thresholds, json, title };
}
