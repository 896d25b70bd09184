/**
 * The one error class echod throws on purpose. `code` is stable (tests and
 * callers match on it); `exitCode` is what the CLI exits with: 2 for bad
 * input, 1 for a runtime failure such as a port already in use.
 */
export type EchodErrorCode = "E_USAGE" | "E_LISTEN" | "E_FILE";

export class EchodError extends Error {
  readonly code: EchodErrorCode;
  readonly exitCode: number;

  constructor(code: EchodErrorCode, message: string, exitCode = code === "E_LISTEN" ? 1 : 2) {
    super(message);
    this.name = "EchodError";
    this.code = code;
    this.exitCode = exitCode;
  }
}

/** A usage error: names the option and the bad value, exits 2. */
export function usageError(option: string, value: unknown, why: string): EchodError {
  return new EchodError("E_USAGE", `invalid ${option} ${JSON.stringify(String(value))}: ${why}`);
}
