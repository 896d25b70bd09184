/**
 * A TLS reload over all workers (SIGHUP), and its outcome as one line:
 * which error each failing worker gave (a bad file's message names the
 * file), or that it did not answer in time.
 */
import type { ToWorker } from "./protocol.ts";
import type { Requests } from "./requests.ts";
import type { Slot } from "./slot.ts";

/** How long SIGHUP waits for every worker to say whether its new certificate is in use. */
const RELOAD_TIMEOUT_MS = 2000;

/** Resolves once every worker uses the new files; rejects naming the file and the workers that did not. */
export async function reloadWorkers(
  slots: readonly Slot[],
  requests: Requests<string | null>,
): Promise<void> {
  // A worker starting now reads the new files itself; a silent one gets the time out.
  const ids = slots.filter((s) => s.listening && s.proc !== null).map((s) => s.id);
  const answers = await requests.ask(
    ids,
    (id, seq) => slots[id]?.proc?.send({ t: "reload-tls", seq } satisfies ToWorker),
    RELOAD_TIMEOUT_MS,
  );
  const failure = reloadFailure(ids, answers, RELOAD_TIMEOUT_MS);
  if (failure !== null) throw new Error(failure);
}

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
