/**
 * The one command-line style of the bench scripts (soak, studies, compare):
 * yargs, strict, with --help generated from the option definitions (their
 * defaults included), so no script writes its help by hand. A bad flag is a
 * usage error: one line `NAME: message` on stderr and exit 2.
 */
import yargs, { type Options } from "yargs";
import { EchodError } from "../../src/errors.ts";

export type ScriptOptions = Record<string, Options>;

/** An option the script reads as text and parses itself, with its default. */
export function textOption(fallback: string, describe: string): Options {
  return { type: "string", default: fallback, describe };
}

/** An on/off flag, off unless given. */
export function flagOption(describe: string): Options {
  return { type: "boolean", default: false, describe };
}

/** `--json`, as every bench script words it. */
export const JSON_OPTION: Options = flagOption("One JSON line on stdout");

export interface ScriptCli {
  /** Script name in the help and in error lines, e.g. "soak". */
  readonly name: string;
  /** How to run it, e.g. "bun bench/soak/soak.ts [options]", and what it does. */
  readonly usage: string;
  readonly options: ScriptOptions;
  /** Words after the flags (or after `--`) are allowed and returned in `_`. */
  readonly positionals?: boolean;
}

/** The parsed flags, or the help text when asked for (--help, -h). Throws E_USAGE on bad flags. */
export function parseScriptArgs(
  cli: ScriptCli,
  argv: readonly string[],
):
  | { readonly kind: "run"; readonly values: Record<string, unknown> }
  | { readonly kind: "help"; readonly text: string } {
  let output = "";
  const parser = yargs([...argv])
    .scriptName(cli.name)
    .usage(cli.usage)
    .options(cli.options)
    .help()
    .alias("h", "help")
    .version(false)
    .strict()
    .parserConfiguration({ "camel-case-expansion": false, "duplicate-arguments-array": false })
    .wrap(Math.min(110, process.stdout.columns || 100))
    .exitProcess(false)
    .fail((message, error) => {
      if (error instanceof EchodError) throw error;
      throw new EchodError("E_USAGE", (message ?? String(error)).split("\n")[0] ?? "bad arguments");
    });
  if (cli.positionals !== true) parser.demandCommand(0, 0);
  const values = parser.parseSync([...argv], {}, (_err, _argv, text) => {
    output = text;
  }) as Record<string, unknown>;
  return output ? { kind: "help", text: output } : { kind: "run", values };
}

/**
 * Runs a script's `main`: help on stdout (exit 0), a usage error as one line
 * `NAME: message` on stderr (exit 2), otherwise the exit code `main` returns.
 */
export async function runScript(
  cli: ScriptCli,
  main: (values: Record<string, unknown>) => Promise<number>,
  argv: readonly string[] = process.argv.slice(2),
): Promise<never> {
  let parsed: ReturnType<typeof parseScriptArgs>;
  try {
    parsed = parseScriptArgs(cli, argv);
  } catch (error) {
    process.stderr.write(
      `${cli.name}: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(2);
  }
  if (parsed.kind === "help") {
    process.stdout.write(`${parsed.text}\n`);
    process.exit(0);
  }
  try {
    process.exit(await main(parsed.values));
  } catch (error) {
    const usage = error instanceof EchodError && error.code === "E_USAGE";
    process.stderr.write(
      `${cli.name}: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(usage ? 2 : 1);
  }
}

/**
 * For top-level scripts: the parsed flags, typed by the caller; on --help
 * prints the help and exits 0, on a bad flag prints `NAME: message` and exits 2.
 */
export function scriptArgs<T>(cli: ScriptCli, argv: readonly string[] = process.argv.slice(2)): T {
  try {
    const parsed = parseScriptArgs(cli, argv);
    if (parsed.kind === "help") {
      process.stdout.write(`${parsed.text}\n`);
      process.exit(0);
    }
    return parsed.values as T;
  } catch (error) {
    process.stderr.write(
      `${cli.name}: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(2);
  }
}
