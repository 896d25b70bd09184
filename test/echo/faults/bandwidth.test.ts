/** The --bandwidth stage on its own: a token bucket of 50 ms worth of the rate. */
import { describe, expect, test } from "bun:test";
import { createBandwidthStage } from "../../../src/echo/faults/bandwidth.ts";
import { createStats } from "../../../src/echo/stats.ts";

describe("bandwidth stage", () => {
  test("a full bucket lets 50 ms worth of the rate go at once", () => {
    const stage = createBandwidthStage(20_000); // 1000 bytes per 50 ms
    const state = stage.open(0);
    expect(stage.leave?.(state, 5000, 0, 0)).toBe(1000);
    expect(state.tokens).toBe(0);
  });

  test("an empty bucket asks to wait until enough tokens for the head (up to a burst) are back", () => {
    const stage = createBandwidthStage(20_000);
    const state = stage.open(0);
    stage.leave?.(state, 1000, 0, 0);
    // 100 bytes at 20 bytes/ms: 5 ms.
    expect(stage.leave?.(state, 100, 0, 0)).toBe(-5);
    // 10 ms later, 200 tokens are back: the 100 bytes go.
    expect(stage.leave?.(state, 100, 10, 0)).toBe(100);
    expect(state.tokens).toBe(100);
  });

  test("the bucket never holds more than a burst, however long it was idle", () => {
    const stage = createBandwidthStage(20_000);
    const state = stage.open(0);
    expect(stage.leave?.(state, 1_000_000, 60_000, 0)).toBe(1000);
  });

  test("at a rate below 20 bytes per second the burst is one byte", () => {
    const stage = createBandwidthStage(10);
    const state = stage.open(0);
    expect(stage.leave?.(state, 50, 0, 0)).toBe(1);
    expect(stage.leave?.(state, 50, 0, 0)).toBe(-100);
  });

  test("entering counts the messages throttled and passes the bytes unchanged", () => {
    const stage = createBandwidthStage(1000);
    const stats = createStats(1);
    const bytes = new Uint8Array(7);
    expect(stage.enter?.(stage.open(0), bytes, 4, { due: 0, cut: null }, stats)).toBe(bytes);
    expect(stats.faults.bandwidth).toBe(4);
  });
});
