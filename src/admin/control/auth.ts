/**
 * The control API's bearer token: `Authorization: Bearer TOKEN`, compared in
 * constant time (SHA-256 of both sides, then timingSafeEqual, so neither the
 * content nor the length of the token leaks through timing). `--control-token
 * @PATH` reads the token from a file, so it stays out of `ps` and the shell
 * history.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import { EchodError } from "../../errors.ts";

/** The token itself: the value, or the trimmed contents of the file after `@`. */
export function resolveToken(value: string | null, flag = "--control-token"): string | null {
  if (value === null || !value.startsWith("@")) return value;
  const path = value.slice(1);
  let text: string;
  try {
    text = readFileSync(path, "utf8").trim();
  } catch (error) {
    const code = (error as { code?: string }).code ?? "unknown error";
    throw new EchodError("E_FILE", `cannot read ${flag} file ${path}: ${code}`);
  }
  if (text === "") throw new EchodError("E_FILE", `${flag} file ${path} is empty`);
  return text;
}

const digest = (text: string) => createHash("sha256").update(text).digest();

/** A check of requests against `token`; every request passes when there is none (loopback). */
export function createTokenCheck(token: string | null): (request: Request) => boolean {
  if (token === null) return () => true;
  const expected = digest(token);
  return (request) => {
    const header = request.headers.get("authorization") ?? "";
    const given = header.startsWith("Bearer ") ? header.slice(7) : "";
    return timingSafeEqual(digest(given), expected);
  };
}
