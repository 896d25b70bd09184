/**
 * The outcome of a TLS reload over all workers, as one line: which error
 * each failing worker gave (a bad file's message names the file), or that
 * it did not answer in time.
 */

/** Null when every worker in `asked` answered with no error; else "error (worker 0, 1); ...". */
export function reloadFailure(
  asked: readonly number[],
  answers: ReadonlyMap<number, string | null>,
  timeoutMs: number,
): string | null {
  const failed = new Map<string, number[]>();
  for (const id of asked) {
    const error = answers.has(id) ? answers.get(id) : `no answer within ${timeoutMs} ms`;
    if (error === null || error === undefined) continue;
    failed.set(error, [...(failed.get(error) ?? []), id]);
  }
  if (failed.size === 0) return null;
  return [...failed].map(([error, ids]) => `${error} (worker ${ids.join(", ")})`).join("; ");
}
