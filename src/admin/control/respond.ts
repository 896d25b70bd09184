/** JSON answers of the control API, and its bounded reading of request bodies. */

/** The largest request body read; a larger one is refused (413) unread. */
export const MAX_BODY_BYTES = 64 * 1024;

const JSON_TYPE = { "content-type": "application/json" };

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(`${JSON.stringify(body)}\n`, {
    status,
    headers: { ...JSON_TYPE, ...headers },
  });
}

/** A 400 (or other) naming what was wrong: `key` and `value` when one value was bad. */
export function problem(status: number, error: string, key?: string, value?: unknown): Response {
  return json(
    { error, ...(key === undefined ? {} : { key }), ...(key === undefined ? {} : { value }) },
    status,
  );
}

/** The body as a JSON object, or the error answer. */
export async function readObject(
  request: Request,
): Promise<{ readonly body: Record<string, unknown> } | { readonly error: Response }> {
  const length = Number(request.headers.get("content-length") ?? 0);
  if (length > MAX_BODY_BYTES) {
    return { error: problem(413, `the body must be at most ${MAX_BODY_BYTES} bytes`) };
  }
  const bytes = await readAtMost(request, MAX_BODY_BYTES);
  if (bytes === null) {
    return { error: problem(413, `the body must be at most ${MAX_BODY_BYTES} bytes`) };
  }
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return { error: problem(400, "the body must be a JSON object") };
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return { error: problem(400, "the body must be a JSON object") };
  }
  return { body: body as Record<string, unknown> };
}

/** The body, or null once it passes `limit` (a chunked body has no length to check first). */
async function readAtMost(request: Request, limit: number): Promise<Uint8Array | null> {
  const parts: Uint8Array[] = [];
  let total = 0;
  if (request.body === null) return new Uint8Array(0);
  for await (const part of request.body) {
    total += part.length;
    if (total > limit) return null;
    parts.push(part);
  }
  return Buffer.concat(parts);
}
