/** The --delay stage on its own: due times, their order under jitter, and the wait it asks for. */
import { describe, expect, test } from "bun:test";
import { createDelayStage } from "../../../src/echo/faults/delay.ts";
import type { Passage } from "../../../src/echo/faults/stage.ts";
import { createStats } from "../../../src/echo/stats.ts";

const bytes = new Uint8Array(10);
const passage = (): Passage => ({ due: 0, cut: null });

describe("delay stage", () => {
  test("a unit is due the delay after it entered, in whole milliseconds rounded up", () => {
    const stage = createDelayStage(50, 0);
    const state = stage.open(0);
    const stats = createStats(1);
    const p = passage();
    const before = performance.now();
    expect(stage.enter?.(state, bytes, 3, p, stats)).toBe(bytes);
    expect(Number.isInteger(p.due)).toBe(true);
    expect(p.due).toBeGreaterThanOrEqual(before + 50);
    expect(p.due).toBeLessThanOrEqual(Math.ceil(performance.now() + 50));
    expect(stats.faults.delay).toBe(3);
  });

  test("jitter never makes a unit due before the one ahead of it", () => {
    const stage = createDelayStage(0, 1000);
    const state = stage.open(0);
    const stats = createStats(1);
    let last = 0;
    for (let i = 0; i < 200; i++) {
      const p = passage();
      stage.enter?.(state, bytes, 1, p, stats);
      expect(p.due).toBeGreaterThanOrEqual(last);
      last = p.due;
    }
    expect(stats.faults.delay).toBe(200);
  });

  test("before its due time a unit waits the rest; from then on all of it may leave", () => {
    const stage = createDelayStage(50, 0);
    const state = stage.open(0);
    expect(stage.leave?.(state, 100, 1000, 1030)).toBe(-30);
    expect(stage.leave?.(state, 100, 1030, 1030)).toBe(100);
    expect(stage.leave?.(state, 100, 2000, 1030)).toBe(100);
  });
});
