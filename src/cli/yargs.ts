/**
 * The yargs definition of `echod [PORT] [options]` and `echod healthcheck`,
 * built from the options table: each flag with its alias, its environment
 * variable and its default in --help. Failures become one-line usage errors.
 */
import yargs, { type Argv } from "yargs";
import { EchodError } from "../errors.ts";
import { envName, OPTIONS, shownDefault } from "../options.ts";
import { VERSION } from "../version.ts";

export const USAGE =
  "$0 [PORT] [options]\n\nA high-throughput TCP echo daemon. Every option also reads ECHOD_<OPTION> from the environment; flags win.";

/** The parser for `argv`; it throws EchodError (exit 2) instead of printing and exiting. */
export function buildParser(argv: readonly string[]): Argv {
  const parser = yargs([...argv])
    .scriptName("echod")
    .usage(USAGE)
    .command("$0 [PORT]", false)
    .command("healthcheck", "Ask a running echod's /livez (exit 0 if live, 1 if not)")
    .positional("PORT", {
      type: "string",
      describe: "Echo port, as with --port (the seed's `echod 8080`)",
    })
    .version(VERSION)
    .help()
    .alias("h", "help")
    .alias("v", "version")
    .strict()
    .parserConfiguration({
      "camel-case-expansion": false,
      "dot-notation": false,
      "duplicate-arguments-array": false,
    })
    .wrap(Math.min(110, process.stdout.columns || 100))
    .exitProcess(false)
    .fail((message, error) => {
      throw error instanceof EchodError
        ? error
        : new EchodError("E_USAGE", oneLine(message ?? String(error), argv));
    });
  for (const o of OPTIONS) {
    parser.option(o.flag, {
      type: o.switch ? "boolean" : "string",
      describe: `${o.help} [env: ${envName(o.flag)}]`,
      defaultDescription: shownDefault(o),
      ...(o.alias === undefined ? {} : { alias: o.alias }),
    });
  }
  return parser;
}

/** yargs' messages, made one line and phrased like echod's own. */
function oneLine(message: string, argv: readonly string[]): string {
  const unknown = /^Unknown arguments?: (.*)$/.exec(message.trim());
  if (unknown) {
    const names = (unknown[1] ?? "").split(", ");
    // yargs lists a stray positional ("echod 7007 extra") with the unknown flags.
    const stray = names.find((n) => argv.includes(n));
    if (stray !== undefined) return `unexpected argument ${JSON.stringify(stray)}`;
    const flags = names.map((n) => (n.length === 1 ? `-${n}` : `--${n}`));
    return `unknown option ${flags.join(", ")} (see echod --help)`;
  }
  return message.replace(/\s*\n\s*/g, "; ").trim();
}
