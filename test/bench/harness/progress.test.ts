/**
 * The progress bar: drawn in place with carriage returns, counts what the
 * workers report, and erases itself when the run ends so the tables start
 * on a clean line.
 */
import { expect, test } from "bun:test";
import { startProgress } from "../../../bench/harness/progress.ts";

test("redraws in place with the messages so far, then erases its line", async () => {
  const out: string[] = [];
  const progress = startProgress((t) => out.push(t), 2, 10);
  progress.add(1500);
  progress.add(2500);
  await Bun.sleep(600);
  progress.stop();
  const drawn = out.slice(0, -1);
  expect(drawn.length).toBeGreaterThanOrEqual(1);
  expect(drawn.every((t) => t.startsWith("\r["))).toBe(true);
  expect(drawn.at(-1)).toContain("4,000 messages echoed");
  expect(out.at(-1)).toBe("\r\x1b[K");
});
