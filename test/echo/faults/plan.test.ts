/** Which listeners get the fault pipeline, and the order of its stages. */
import { describe, expect, test } from "bun:test";
import { resolveConfig } from "../../../src/config.ts";
import { createFaultPlan } from "../../../src/echo/faults/plan.ts";
import type { FaultStage } from "../../../src/echo/faults/stage.ts";

const plan = (raw: Parameters<typeof resolveConfig>[0]) => createFaultPlan(resolveConfig(raw));
/** A stage's kind, told by what it does: the order of stages is what matters here. */
const kinds = (stages: readonly FaultStage[]) =>
  stages.map((s) => (s.writePerTurn ? "slice" : s.leave === undefined ? "budget" : "timed"));

describe("fault plan", () => {
  test("no framing and no fault: the raw echo path", () => {
    expect(plan({})).toBeNull();
  });

  test("faults that no connection gets (--fault-rate 0): the raw echo path", () => {
    expect(plan({ delay: "10", faultRate: 0 })).toBeNull();
  });

  test("framing alone: a plan without stages", () => {
    const p = plan({ framing: "line", maxMessageSize: 100 });
    expect(p?.framing).toBe("line");
    expect(p?.maxMessageSize).toBe(100);
    expect(p?.stages).toEqual([]);
  });

  test("the budget comes first, then delay, slice and bandwidth", () => {
    const p = plan({ closeAfter: 100, delay: "5", slice: 10, bandwidth: 1000 });
    expect(kinds(p?.stages ?? [])).toEqual(["budget", "timed", "slice", "timed"]);
    expect(p?.faultRate).toBe(1);
  });

  test("one stage per configured fault", () => {
    expect(plan({ slice: 3 })?.stages.length).toBe(1);
    expect(plan({ resetAfter: 3 })?.stages.length).toBe(1);
    expect(plan({ delay: "0:5" })?.stages.length).toBe(1);
  });

  test("with --control or --faults, a listener without faults still gets a plan (of no stages)", () => {
    expect(plan({ control: true, metricsHost: "127.0.0.1" })?.stages).toEqual([]);
    expect(plan({ faults: "/etc/echod/faults.yaml" })?.stages).toEqual([]);
    expect(
      plan({ control: true, metricsHost: "127.0.0.1", delay: "5", faultRate: 0 })?.stages.length,
    ).toBe(1);
  });
});

describe("fault plan: the faults of issue 17", () => {
  test("each is one stage, and none is on by default", () => {
    expect(plan({ blackhole: true })?.stages.length).toBe(1);
    expect(plan({ timeout: 100 })?.stages.length).toBe(1);
    expect(plan({ slowClose: 100 })?.stages.length).toBe(1);
    expect(plan({ corrupt: 0.5 })?.stages.length).toBe(1);
    expect(plan({ limitTime: 100 })?.stages.length).toBe(1);
    expect(
      plan({ blackhole: false, timeout: 0, slowClose: 0, corrupt: 0, limitTime: 0 }),
    ).toBeNull();
  });

  test("the budget first, then the timeout that drops, the time limit, corruption, delay; the held close last", () => {
    const p = plan({
      closeAfter: 10,
      timeout: 5,
      limitTime: 9,
      corrupt: 0.1,
      delay: "5",
      slowClose: 3,
    });
    const shape = (p?.stages ?? []).map((s) => [
      s.enter !== undefined,
      s.cutAt !== undefined,
      s.holdsEnd === true,
      s.leave !== undefined,
      s.holdEnd !== undefined,
    ]);
    expect(shape).toEqual([
      [true, false, false, false, false], // budget
      [true, true, true, false, false], // timeout
      [false, true, false, false, false], // limit-time
      [true, false, false, false, false], // corrupt
      [true, false, false, true, false], // delay
      [false, false, false, false, true], // slow-close
    ]);
  });
});
