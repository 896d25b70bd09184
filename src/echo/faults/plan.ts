/**
 * What a listener does beyond raw echo, decided once when it starts: the
 * framing, and the fault stages in the order a unit passes them (the budget
 * first, so that nothing past it is delayed or counted; then the stages that
 * drop everything, so that nothing they drop is delayed or corrupted).
 */
import type { Config } from "../../config.ts";
import { createBandwidthStage } from "./bandwidth.ts";
import { createBlackholeStage } from "./blackhole.ts";
import { createBudgetStage } from "./budget.ts";
import { createCorruptStage } from "./corrupt.ts";
import { createDelayStage } from "./delay.ts";
import { createLimitTimeStage } from "./limit-time.ts";
import { createSliceStage } from "./slice.ts";
import { createSlowCloseStage } from "./slow-close.ts";
import type { FaultStage } from "./stage.ts";
import { createTimeoutStage } from "./timeout.ts";

export interface FaultPlan {
  readonly framing: "line" | "length-prefixed" | null;
  readonly maxMessageSize: number;
  /** The configured faults; empty when none is. `faultRate` picks the connections that get them. */
  readonly stages: readonly FaultStage[];
  readonly faultRate: number;
}

/**
 * The listener's plan, or null for the raw echo path (no framing, and no
 * fault any connection gets). With --control or --faults a listener always
 * has a plan (maybe of no stages), so that it can gain faults while it runs.
 */
export function createFaultPlan(config: Config): FaultPlan | null {
  const stages: FaultStage[] = [];
  const budget = config.closeAfter || config.resetAfter;
  if (budget > 0) {
    stages.push(createBudgetStage(budget, config.closeAfter > 0 ? "fault_close" : "fault_reset"));
  }
  if (config.timeout > 0) stages.push(createTimeoutStage(config.timeout));
  if (config.blackhole) stages.push(createBlackholeStage());
  if (config.limitTime > 0) stages.push(createLimitTimeStage(config.limitTime));
  if (config.corrupt > 0) stages.push(createCorruptStage(config.corrupt));
  if (config.delay.ms > 0 || config.delay.jitterMs > 0) {
    stages.push(createDelayStage(config.delay.ms, config.delay.jitterMs));
  }
  if (config.slice > 0) stages.push(createSliceStage(config.slice));
  if (config.bandwidth > 0) stages.push(createBandwidthStage(config.bandwidth));
  if (config.slowClose > 0) stages.push(createSlowCloseStage(config.slowClose));
  const raw = stages.length === 0 || config.faultRate === 0;
  const changeable = config.control || config.faults !== null;
  if (config.framing === "none" && raw && !changeable) return null;
  return {
    framing: config.framing === "none" ? null : config.framing,
    maxMessageSize: config.maxMessageSize,
    stages,
    faultRate: config.faultRate,
  };
}
