/**
 * A listener's current fault plan (PlanHolder, state.ts), and when a
 * listener that can change (--control, --faults) needs the fault pipeline
 * at all: until then it runs the raw handlers (server.ts).
 */
import type { FaultPlan } from "./plan.ts";
import type { PlanHolder } from "./state.ts";

export function createPlanHolder(plan: FaultPlan): PlanHolder {
  return { plan, epoch: 0, clean: { ...plan, stages: [] }, rawEpoch: 0 };
}

/** The pipeline has work: framing, or a fault that some connection may draw. */
export function needsPipeline(plan: FaultPlan): boolean {
  return plan.framing !== null || (plan.stages.length > 0 && plan.faultRate > 0);
}
