/** The --close-after / --reset-after stage on its own: the byte budget and the cut it sets. */
import { describe, expect, test } from "bun:test";
import { createBudgetStage } from "../../../src/echo/faults/budget.ts";
import type { Passage } from "../../../src/echo/faults/stage.ts";
import { createStats } from "../../../src/echo/stats.ts";

describe("budget stage", () => {
  test("bytes pass until the budget is spent; the unit that spends it is cut and the rest discarded", () => {
    const stage = createBudgetStage(10, "fault_close");
    const state = stage.open(0);
    const stats = createStats(1);
    const p: Passage = { due: 0, cut: null };
    expect(stage.enter?.(state, new Uint8Array(6), 1, p, stats).length).toBe(6);
    expect(p.cut).toBeNull();
    expect(stage.enter?.(state, new Uint8Array(6), 1, p, stats).length).toBe(4);
    expect(p.cut).toBe("fault_close");
    expect(stats.discardedBytes).toBe(2);
    expect(stage.enter?.(state, new Uint8Array(5), 1, p, stats).length).toBe(0);
    expect(stats.discardedBytes).toBe(7);
  });

  test("a unit of exactly the budget sets the cut", () => {
    const stage = createBudgetStage(8, "fault_reset");
    const p: Passage = { due: 0, cut: null };
    expect(stage.enter?.(stage.open(0), new Uint8Array(8), 1, p, createStats(1)).length).toBe(8);
    expect(p.cut).toBe("fault_reset");
  });

  test("an earlier cut (an over-size message) is kept", () => {
    const stage = createBudgetStage(1, "fault_reset");
    const p: Passage = { due: 0, cut: "message_too_large" };
    stage.enter?.(stage.open(0), new Uint8Array(4), 1, p, createStats(1));
    expect(p.cut).toBe("message_too_large");
  });

  test("each connection has a budget of its own", () => {
    const stage = createBudgetStage(4, "fault_close");
    const stats = createStats(1);
    const p: Passage = { due: 0, cut: null };
    stage.enter?.(stage.open(0), new Uint8Array(4), 1, p, stats);
    const q: Passage = { due: 0, cut: null };
    expect(stage.enter?.(stage.open(0), new Uint8Array(3), 1, q, stats).length).toBe(3);
    expect(q.cut).toBeNull();
  });
});
