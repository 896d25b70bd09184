/**
 * Pieces of src/metrics.ts that a live scrape does not pin down on its own.
 */
import { expect, test } from "bun:test";
import { closeSync, openSync, readdirSync } from "node:fs";
import { openFileDescriptors } from "../src/metrics.ts";

test("process_open_fds counts this process's descriptors, also after 500 more are opened", () => {
  const listed = () => readdirSync("/proc/self/fd").length - 1;
  expect(openFileDescriptors()).toBe(listed());
  const before = openFileDescriptors();
  const fds = Array.from({ length: 500 }, () => openSync("/dev/null", "r"));
  expect(openFileDescriptors()).toBe(before + 500);
  expect(openFileDescriptors()).toBe(listed());
  for (const fd of fds) closeSync(fd);
  expect(openFileDescriptors()).toBe(before);
});
