/**
 * Bad input, as the tests meet it. In process: the message of the usage error
 * (code E_USAGE, exit code 2) that a call throws. Spawned: echod exiting 2
 * with nothing on stdout and exactly one line on stderr. And the reasons the
 * parsers give, the end of `invalid --flag "value": why`, written once here.
 */
import { expect } from "bun:test";
import { EchodError } from "../../src/errors.ts";
import { runEchod } from "./spawn-echod.ts";

export const PORT = "must be a decimal integer from 0 to 65535";
export const COUNT = "must be a decimal integer of at least 0";
export const WORKERS = "must be auto or a decimal integer from 1 to 256";
export const SIZE = "must be a size such as 65536, 64KiB or 1MiB";
export const SECONDS = "must be a non-negative number of seconds (or 250ms, 2m)";
export const FRACTION = "must be a decimal number from 0 to 1, such as 0.25";
export const DELAY = "must be milliseconds, optionally with jitter: 200 or 200:50";
export const MODE = "must be an octal file mode such as 0660";
export const PATH = "must be a file path";
export const HOST = "must be a host name or an IP address";

/**
 * The message of the usage error that `run` throws. Any other error fails the
 * test as it is; `run` returning fails it with "accepted `input`".
 */
export function rejection(input: string, run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof EchodError && error.code === "E_USAGE" && error.exitCode === 2) {
      return error.message;
    }
    throw error;
  }
  throw new Error(`accepted ${input}`);
}

/** Runs echod with `args` and `env` to completion: it must exit 2, print nothing on stdout and exactly `line` on stderr. */
export async function expectRefusedRun(
  args: string[],
  env: Record<string, string>,
  line: string,
  timeoutMs?: number,
): Promise<void> {
  const { code, stdout, stderr } = await runEchod(args, env, timeoutMs);
  expect({ code, stdout, stderr }).toEqual({ code: 2, stdout: "", stderr: `${line}\n` });
}
