/** A client of echod's control API for tests: one request, its status and JSON body. */
import { formatFaults, NO_FAULTS } from "../../src/options/fault-settings.ts";

export interface ApiAnswer {
  readonly status: number;
  // biome-ignore lint/suspicious/noExplicitAny: a JSON body the test reads field by field
  readonly body: any;
}

export async function api(
  admin: number,
  method: string,
  path: string,
  body?: unknown,
  token?: string,
): Promise<ApiAnswer> {
  const response = await fetch(`http://127.0.0.1:${admin}${path}`, {
    method,
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {}
  return { status: response.status, body: parsed };
}

/**
 * The faults GET /faults shows for one listener with nothing set: every
 * fault flag of the options table at its default (`delay: 0`, `slice: 0`,
 * `fault-rate: 1`, ...), so a fault added to the table needs no change here.
 */
export const CLEAN: Record<string, unknown> = formatFaults(NO_FAULTS);
