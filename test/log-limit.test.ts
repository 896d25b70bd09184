/**
 * The one rate limiter of echod's log lines: the first event of a quiet
 * spell at once, the rest of the interval as one line when it ends, at the
 * level asked for.
 */
import { expect, test } from "bun:test";
import type { Logger } from "../src/log.ts";
import { createLimitedWarning } from "../src/log-limit.ts";

interface Line {
  readonly level: string;
  readonly fields: Record<string, unknown>;
  readonly msg: string;
}

function recorder(lines: Line[]): Logger {
  const at = (level: string) => (fields: Record<string, unknown>, msg: string) =>
    lines.push({ level, fields, msg });
  return { warn: at("warn"), error: at("error") } as unknown as Logger;
}

test("a burst is one line at once and one line counting the rest when the interval ends; then a line at once again", async () => {
  const lines: Line[] = [];
  let clock = 0;
  const line = createLimitedWarning(recorder(lines), "closed", "n", {
    intervalMs: 50,
    now: () => clock,
  });
  for (let i = 0; i < 10; i++) line({ i });
  expect(lines).toEqual([{ level: "warn", fields: { n: 1, i: 0 }, msg: "closed" }]);
  clock = 50;
  await Bun.sleep(120);
  expect(lines[1]).toEqual({ level: "warn", fields: { n: 9, i: 9 }, msg: "closed" });
  clock = 200;
  line({ i: 10 });
  expect(lines).toHaveLength(3);
  expect(lines[2]?.fields).toEqual({ n: 1, i: 10 });
});

test("the level is the one asked for", () => {
  const lines: Line[] = [];
  createLimitedWarning(recorder(lines), "failed", "failed", { level: "error" })({ err: "x" });
  expect(lines).toEqual([{ level: "error", fields: { failed: 1, err: "x" }, msg: "failed" }]);
});
