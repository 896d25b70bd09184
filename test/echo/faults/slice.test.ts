/** The --slice stage on its own: pieces of at most the slice, one write per turn. */
import { describe, expect, test } from "bun:test";
import { createSliceStage } from "../../../src/echo/faults/slice.ts";
import { createStats } from "../../../src/echo/stats.ts";

describe("slice stage", () => {
  test("at most the slice leaves at once", () => {
    const stage = createSliceStage(16);
    expect(stage.leave?.(null, 100, 0, 0)).toBe(16);
    expect(stage.leave?.(null, 16, 0, 0)).toBe(16);
    expect(stage.leave?.(null, 3, 0, 0)).toBe(3);
  });

  test("each piece is its own write: the pipeline yields after every one", () => {
    expect(createSliceStage(16).writePerTurn).toBe(true);
  });

  test("only units longer than the slice are counted as sliced", () => {
    const stage = createSliceStage(16);
    const stats = createStats(1);
    const p = { due: 0, cut: null };
    stage.enter?.(null, new Uint8Array(16), 1, p, stats);
    expect(stats.faults.slice).toBe(0);
    stage.enter?.(null, new Uint8Array(17), 5, p, stats);
    expect(stats.faults.slice).toBe(1);
  });
});
