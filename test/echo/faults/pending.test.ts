/**
 * The books of a faulty connection apart from its socket: units entering
 * the pending queue through the stages, the --max-buffer weight of what is
 * held, the framer's accounting, and what is discarded at close.
 */
import { describe, expect, test } from "bun:test";
import { COALESCE_BELOW } from "../../../src/echo/coalesce.ts";
import { createConnection } from "../../../src/echo/connection.ts";
import { createBudgetStage } from "../../../src/echo/faults/budget.ts";
import { createDelayStage } from "../../../src/echo/faults/delay.ts";
import {
  admit,
  discardPending,
  frameChunk,
  held,
  PENDING_ENTRY_COST,
  pendingBytes,
} from "../../../src/echo/faults/pending.ts";
import type { FaultPlan } from "../../../src/echo/faults/plan.ts";
import { createFaultState } from "../../../src/echo/faults/state.ts";
import { createStats } from "../../../src/echo/stats.ts";

const enc = new TextEncoder();

function faulty(plan: Partial<FaultPlan>) {
  const full: FaultPlan = {
    framing: null,
    maxMessageSize: 1024,
    stages: [],
    faultRate: 1,
    ...plan,
  };
  const conn = createConnection(0, "");
  const f = createFaultState(full, 0);
  conn.faults = f;
  return { plan: full, conn, f, stats: createStats(1) };
}

describe("pending queue", () => {
  test("a unit that every stage lets through is queued and counted as buffered", () => {
    const { plan, conn, f, stats } = faulty({ stages: [createDelayStage(1000, 0)] });
    admit(plan.stages, conn, f, new Uint8Array(2000), 1, stats);
    expect(f.pendingBytes).toBe(2000);
    expect(f.pending.length).toBe(1);
    expect(f.dueTimes.length).toBe(1);
    expect(stats.bufferedBytes).toBe(2000);
    expect(stats.peakConnectionBuffer).toBe(2000);
    expect(pendingBytes(conn)).toBe(2000);
    expect(held(conn, f)).toBe(2000 + PENDING_ENTRY_COST);
  });

  test("small units due in the same millisecond share one entry", () => {
    const { plan, conn, f, stats } = faulty({ stages: [createBudgetStage(1e9, "fault_close")] });
    for (let i = 0; i < 100; i++) admit(plan.stages, conn, f, new Uint8Array(1), 1, stats);
    expect(f.pendingBytes).toBe(100);
    expect(f.pending.length).toBe(1);
    expect(COALESCE_BELOW).toBeGreaterThan(100);
  });

  test("a unit a stage drops entirely is not queued", () => {
    const { plan, conn, f, stats } = faulty({ stages: [createBudgetStage(4, "fault_close")] });
    admit(plan.stages, conn, f, new Uint8Array(4), 1, stats);
    admit(plan.stages, conn, f, new Uint8Array(4), 1, stats);
    expect(f.pendingBytes).toBe(4);
    expect(f.cut).toBe("fault_close");
    expect(stats.discardedBytes).toBe(4);
  });

  test("at close, the pending bytes and the framer's partial message are discarded", () => {
    const { plan, conn, f, stats } = faulty({
      framing: "line",
      stages: [createDelayStage(1000, 0)],
    });
    admit(plan.stages, conn, f, new Uint8Array(10), 1, stats);
    expect(frameChunk(f, f.framer as NonNullable<typeof f.framer>, enc.encode("ab"), stats)).toBe(
      true,
    );
    expect(stats.bufferedBytes).toBe(12);
    discardPending(f, stats);
    expect(stats.bufferedBytes).toBe(0);
    expect(stats.discardedBytes).toBe(12);
    expect(f.pendingBytes).toBe(0);
    expect(f.framer?.buffered).toBe(0);
  });
});

describe("framing a chunk", () => {
  test("whole messages are counted, the partial one is buffered", () => {
    const { f, stats } = faulty({ framing: "line" });
    const framer = f.framer as NonNullable<typeof f.framer>;
    expect(frameChunk(f, framer, enc.encode("a\nb\nc"), stats)).toBe(true);
    expect(stats.messages).toBe(2);
    expect(stats.bufferedBytes).toBe(1);
    expect(f.batch.bytes).toBe(4);
  });

  test("past the maximum the connection is cut and the rest discarded", () => {
    const { f, stats } = faulty({ framing: "line", maxMessageSize: 3 });
    const framer = f.framer as NonNullable<typeof f.framer>;
    expect(frameChunk(f, framer, enc.encode("ab"), stats)).toBe(true);
    expect(frameChunk(f, framer, enc.encode("\nlong line\n"), stats)).toBe(false);
    expect(f.cut).toBe("message_too_large");
    expect(stats.messages).toBe(1);
    // "ab\n" went out as a message; "long line\n" (10 bytes) is discarded.
    expect(stats.discardedBytes).toBe(10);
    expect(stats.bufferedBytes).toBe(0);
  });
});

describe("fault rate", () => {
  test("a connection that did not draw the faults has no stage state", () => {
    const { f } = faulty({ stages: [createDelayStage(1, 0)], faultRate: 0 });
    expect(f.faulty).toBe(false);
    expect(f.stageStates).toEqual([]);
  });
});
