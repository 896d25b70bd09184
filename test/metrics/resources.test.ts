/**
 * Process probes (src/metrics/resources.ts) that a live scrape does not pin down on its own.
 */
import { expect, test } from "bun:test";
import { closeSync, openSync, readdirSync } from "node:fs";
import {
  addResources,
  NO_RESOURCES,
  openFileDescriptors,
  ownResources,
} from "../../src/metrics/resources.ts";

/**
 * Waits until no descriptor opens or closes behind the test's back: pipes of
 * processes that earlier test files spawned are closed when they are
 * collected, which would move the count between two readings.
 */
async function settled(listed: () => number): Promise<void> {
  let last = -1;
  for (let steady = 0, i = 0; steady < 3 && i < 100; i++) {
    Bun.gc(true);
    await Bun.sleep(20);
    const now = listed();
    steady = now === last ? steady + 1 : 0;
    last = now;
  }
}

test("process_open_fds counts this process's descriptors, also after 500 more are opened", async () => {
  const listed = () => readdirSync("/proc/self/fd").length - 1;
  await settled(listed);
  expect(openFileDescriptors()).toBe(listed());
  const before = openFileDescriptors();
  const fds = Array.from({ length: 500 }, () => openSync("/dev/null", "r"));
  expect(openFileDescriptors()).toBe(before + 500);
  expect(openFileDescriptors()).toBe(listed());
  for (const fd of fds) closeSync(fd);
  expect(openFileDescriptors()).toBe(before);
});

test("this process's CPU time and RSS are read without throwing, and add up over processes", () => {
  const own = ownResources();
  expect(own.cpuSeconds).toBeGreaterThan(0);
  expect(own.residentBytes).toBeGreaterThan(1024 * 1024);
  expect(addResources(own, NO_RESOURCES)).toEqual(own);
  expect(
    addResources({ cpuSeconds: 1.5, residentBytes: 100 }, { cpuSeconds: 2, residentBytes: 50 }),
  ).toEqual({ cpuSeconds: 3.5, residentBytes: 150 });
});
