/** How the primary judges a worker from its heartbeats, and its restart backoff. */
import { expect, test } from "bun:test";
import {
  HUNG_KILL_AFTER_MS,
  judge,
  restartDelay,
  SILENT_AFTER_MS,
} from "../../src/workers/health.ts";

test("restart backoff doubles from 100 ms and stops at 5 s", () => {
  const delays = [1, 2, 3, 4, 5, 6, 7, 20].map(restartDelay);
  console.log(`delays: ${delays.join(", ")} ms`);
  expect(delays).toEqual([100, 200, 400, 800, 1600, 3200, 5000, 5000]);
});

test("a listening worker is healthy, then silent after 3 s without a heartbeat, then hung after 10 s", () => {
  const at = (silence: number) => judge(true, 0, 1000, 1000 + silence);
  const seen = [0, SILENT_AFTER_MS, SILENT_AFTER_MS + 1, HUNG_KILL_AFTER_MS + 1].map(at);
  console.log(`health at 0, 3000, 3001, 10001 ms of silence: ${seen.join(", ")}`);
  expect(seen).toEqual(["healthy", "healthy", "silent", "hung"]);
});

test("a worker that never gets to listen is starting for 10 s, then hung", () => {
  expect(judge(false, 0, 0, HUNG_KILL_AFTER_MS)).toBe("starting");
  expect(judge(false, 0, 0, HUNG_KILL_AFTER_MS + 1)).toBe("hung");
});
