/**
 * bench:compare's command line: its flags (yargs), checked into one
 * `Settings`. Split from compare.ts so the runner reads as the run itself;
 * bad flags throw a usage error naming the flag and the value (exit 2).
 */
import yargs from "yargs";
import { EchodError, usageError } from "../../src/errors.ts";
import { parseSeconds } from "../../src/units.ts";
import { PARTS, type Part } from "./record.ts";
import { SHAPES } from "./shapes.ts";

export interface Settings {
  readonly duration: number;
  readonly warmup: number;
  readonly settle: number;
  readonly rounds: number;
  readonly parts: readonly Part[];
  readonly startupSeconds: number;
  readonly servers: readonly string[] | null;
  readonly shapes: string | null;
}

const SERVER_NAMES = ["echod", "bun", "node", "go", "c-epoll"];

/** Settings, or the text of --help / --version; bad flags throw a usage error (exit 2). */
export function parseArgs(argv: string[]): Settings | string {
  let output = "";
  const a = yargs(argv)
    .scriptName("npm run bench:compare --")
    .usage("$0 [options]\n\nRuns echod and the baseline echo servers on the same load shapes.")
    .option("duration", {
      type: "string",
      default: "5",
      describe: "Seconds of measured load per shape and server",
    })
    .option("warmup", {
      type: "string",
      default: "1",
      describe: "Seconds of unmeasured load first",
    })
    .option("settle", {
      type: "string",
      default: "3",
      describe:
        "Seconds a server is left idle after it is ready, before any load (all parts but start-up)",
    })
    .option("startup-seconds", {
      type: "string",
      default: "8",
      describe: "Seconds of load per start-up run (seconds 5-8 are the reference)",
    })
    .option("parts", {
      type: "string",
      default: PARTS.join(","),
      describe: "Comma-separated parts to run",
    })
    .option("rounds", {
      type: "string",
      default: "1",
      describe:
        "Run every server this many times per shape, taking turns to go first; the tables show medians",
    })
    .option("servers", {
      type: "string",
      describe: `Comma-separated, from ${SERVER_NAMES.join(",")} (default all)`,
    })
    .option("shapes", { type: "string", describe: "Only shapes whose name contains this text" })
    .strict()
    .exitProcess(false)
    .fail((message) => {
      throw new EchodError("E_USAGE", message ?? "bad arguments");
    })
    .parseSync(argv, {}, (_err, _argv, text) => {
      output = text;
    }) as Record<string, unknown>;
  if (output) return output;
  const duration = parseSeconds(String(a.duration));
  if (duration === null || duration <= 0)
    throw usageError("--duration", a.duration, "must be seconds above 0");
  const warmup = parseSeconds(String(a.warmup));
  if (warmup === null) throw usageError("--warmup", a.warmup, "must be 0 or more seconds");
  const settle = parseSeconds(String(a.settle));
  if (settle === null) throw usageError("--settle", a.settle, "must be 0 or more seconds");
  const parts = String(a.parts).split(",") as Part[];
  const badPart = parts.find((p) => !PARTS.includes(p));
  if (badPart !== undefined)
    throw usageError(
      "--parts",
      a.parts,
      `unknown part ${JSON.stringify(badPart)} (${PARTS.join(", ")})`,
    );
  const startupSeconds = Number(a["startup-seconds"]);
  if (!Number.isInteger(startupSeconds) || startupSeconds < 1 || startupSeconds > 600)
    throw usageError(
      "--startup-seconds",
      a["startup-seconds"],
      "must be a whole number from 1 to 600",
    );
  const rounds = Number(a.rounds);
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 100)
    throw usageError("--rounds", a.rounds, "must be a whole number from 1 to 100");
  const servers = a.servers === undefined ? null : String(a.servers).split(",");
  const unknown = servers?.find((name) => !SERVER_NAMES.includes(name));
  if (unknown !== undefined) {
    throw usageError("--servers", a.servers, `unknown server ${JSON.stringify(unknown)}`);
  }
  const shapes = a.shapes === undefined ? null : String(a.shapes);
  if (shapes !== null && !SHAPES.some((s) => s.name.includes(shapes))) {
    throw usageError(
      "--shapes",
      shapes,
      `matches none of: ${SHAPES.map((s) => s.name).join(", ")}`,
    );
  }
  return { duration, warmup, settle, rounds, parts, startupSeconds, servers, shapes };
}
