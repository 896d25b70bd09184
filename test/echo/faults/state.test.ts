/** A connection's fault state, and how it takes a new plan (a control API change with scope all). */
import { expect, test } from "bun:test";
import { resolveConfig } from "../../../src/config.ts";
import { createFaultPlan, type FaultPlan } from "../../../src/echo/faults/plan.ts";
import { adoptPlan, createFaultState } from "../../../src/echo/faults/state.ts";

const plan = (raw: Parameters<typeof resolveConfig>[0]) =>
  createFaultPlan(resolveConfig({ control: true, metricsHost: "127.0.0.1", ...raw })) as FaultPlan;

test("a new state takes the plan and its epoch; no stage, no fault drawn", () => {
  const f = createFaultState(plan({}), 0, 3);
  expect(f.epoch).toBe(3);
  expect(f.faulty).toBe(false);
  expect(f.stages).toEqual([]);
});

test("adopting a plan changes every stage at once, afresh; pending bytes and the framer stay", () => {
  const lined = plan({ framing: "line" });
  const f = createFaultState(lined, 0);
  const framer = f.framer;
  f.pending.push(new Uint8Array(5));
  f.dueTimes.push(100);
  f.pendingBytes = 5;
  const slow = plan({ framing: "line", delay: "50", slice: 4, closeAfter: 10 });
  adoptPlan(f, slow, 1, 0);
  expect(f.plan).toBe(slow);
  expect(f.epoch).toBe(1);
  expect(f.faulty).toBe(true);
  expect(f.stages).toBe(slow.stages);
  expect(f.stageStates).toHaveLength(3);
  // --slice writes once per turn.
  expect(f.writePerTurn).toBe(true);
  expect(f.framer).toBe(framer);
  expect(f.pendingBytes).toBe(5);
  expect((f.stageStates[0] as { left: number }).left).toBe(10);
  // Back to no fault: the stages go, the held bytes stay to leave first.
  adoptPlan(f, lined, 2, 0);
  expect(f.faulty).toBe(false);
  expect(f.stages).toEqual([]);
  expect(f.writePerTurn).toBe(false);
  expect(f.pending).toHaveLength(1);
});

test("each adoption draws --fault-rate again", () => {
  const never = plan({ delay: "5", faultRate: 0 });
  const always = plan({ delay: "5", faultRate: 1 });
  const f = createFaultState(never, 0);
  expect(f.faulty).toBe(false);
  adoptPlan(f, always, 1, 0);
  expect(f.faulty).toBe(true);
  adoptPlan(f, never, 2, 0);
  expect(f.faulty).toBe(false);
});
