/** Questions to several workers at once, and the one-line outcome of a TLS reload. */
import { expect, test } from "bun:test";
import { reloadFailure } from "../../src/workers/reload.ts";
import { createRequests } from "../../src/workers/requests.ts";

test("a request resolves when every worker answered, or at the deadline without the silent one", async () => {
  const requests = createRequests<string>();
  const all = requests.ask([0, 1], (id, seq) => requests.answer(seq, id, `w${id}`), 1000);
  expect([...(await all).entries()]).toEqual([
    [0, "w0"],
    [1, "w1"],
  ]);
  const started = performance.now();
  const partial = await requests.ask(
    [0, 1],
    (id, seq) => {
      if (id === 0) requests.answer(seq, id, "w0");
    },
    100,
  );
  const waited = performance.now() - started;
  console.log(
    `one worker silent: resolved after ${waited.toFixed(0)} ms with ${partial.size} answer`,
  );
  expect([...partial.keys()]).toEqual([0]);
  expect(waited).toBeGreaterThanOrEqual(95);
  // A late answer to a closed request is dropped.
  requests.answer(2, 1, "late");
  expect(await requests.ask([], () => {}, 1000)).toEqual(new Map());
});

test("a reload outcome names each error with the workers that gave it, and a worker that did not answer", () => {
  const answers = new Map<number, string | null>([
    [0, "--tls-cert /x is not a PEM file"],
    [1, null],
    [2, "--tls-cert /x is not a PEM file"],
  ]);
  const line = reloadFailure([0, 1, 2, 3], answers, 2000);
  console.log(`reload outcome: ${line}`);
  expect(line).toBe(
    "--tls-cert /x is not a PEM file (worker 0, 2); no answer within 2000 ms (worker 3)",
  );
  expect(reloadFailure([1], answers, 2000)).toBeNull();
});
