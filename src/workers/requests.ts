/**
 * Questions the primary puts to several workers at once (counters for a
 * scrape, a TLS reload), matched to their answers by sequence number. A
 * worker that has not answered by the deadline is left out of the result,
 * so one hung worker cannot hold up a scrape or a reload.
 */

interface Open<A> {
  readonly answers: Map<number, A>;
  readonly pending: Set<number>;
  readonly done: () => void;
}

export interface Requests<A> {
  /** Sends request `seq` to each worker in `ids`; resolves with the answers in by `timeoutMs`. */
  ask(
    ids: readonly number[],
    send: (id: number, seq: number) => void,
    timeoutMs: number,
  ): Promise<Map<number, A>>;
  /** Records worker `id`'s answer to request `seq` (late or unknown answers are dropped). */
  answer(seq: number, id: number, value: A): void;
}

export function createRequests<A>(): Requests<A> {
  let seq = 0;
  const open = new Map<number, Open<A>>();
  return {
    async ask(ids, send, timeoutMs) {
      const id = ++seq;
      const answers = new Map<number, A>();
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((done) => {
        open.set(id, { answers, pending: new Set(ids), done });
        if (ids.length === 0) return done();
        timer = setTimeout(done, timeoutMs);
        for (const worker of ids) send(worker, id);
      });
      clearTimeout(timer);
      open.delete(id);
      return answers;
    },
    answer(seq, id, value) {
      const request = open.get(seq);
      if (request === undefined || !request.pending.delete(id)) return;
      request.answers.set(id, value);
      if (request.pending.size === 0) request.done();
    },
  };
}
