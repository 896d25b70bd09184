/**
 * The per-connection state of a listener with framing or faults on, kept in
 * `Connection.faults`: the framer, and the queue of bytes that wait in the
 * fault stages (for their --delay, --bandwidth tokens or the next --slice)
 * before they reach the write queue, and the timers of the time-based faults.
 */
import type { BlockHolder } from "../coalesce.ts";
import { createFrameBatch, type FrameBatch, type Framer } from "./framer.ts";
import { LengthPrefixFramer } from "./length-prefixed-framer.ts";
import { LineFramer } from "./line-framer.ts";
import type { FaultPlan } from "./plan.ts";
import type { Passage } from "./stage.ts";

export interface FaultState extends BlockHolder, Passage {
  readonly framer: Framer | null;
  /** Scratch batch the framer fills for one chunk; reused. */
  readonly batch: FrameBatch;
  /** This connection drew the faults (see --fault-rate). */
  readonly faulty: boolean;
  /** Each stage's own state, in the order of the plan's stages; empty unless faulty. */
  readonly stageStates: readonly unknown[];
  /** Bytes waiting for their time, oldest at `head`, with the time (ms) each was due. */
  readonly pending: Uint8Array[];
  readonly dueTimes: number[];
  head: number;
  pendingBytes: number;
  cutDone: boolean;
  /** The pump's timer (pipeline.ts): the next time a pending unit may leave. */
  timer: ReturnType<typeof setTimeout> | null;
  /** The clock (ending.ts): a stage's cut at `clockAt`, or the end of a held close. */
  clock: ReturnType<typeof setTimeout> | null;
  clockAt: number;
  /** A stage's cut is due that the peer's FIN must wait for (--timeout). */
  awaitCut: boolean;
  /** The end held back by --slow-close: 0 not yet, 1 holding, 2 done. */
  endHold: 0 | 1 | 2;
}

const NO_STATES: readonly unknown[] = [];

export function createFaultState(plan: FaultPlan, now: number): FaultState {
  const faulty = plan.stages.length > 0 && (plan.faultRate >= 1 || Math.random() < plan.faultRate);
  return {
    framer: plan.framing === null ? null : createFramer(plan.framing, plan.maxMessageSize),
    batch: createFrameBatch(),
    block: null,
    blockUsed: 0,
    faulty,
    stageStates: faulty ? plan.stages.map((stage) => stage.open(now)) : NO_STATES,
    pending: [],
    dueTimes: [],
    head: 0,
    pendingBytes: 0,
    due: 0,
    cut: null,
    cutDone: false,
    timer: null,
    clock: null,
    clockAt: 0,
    awaitCut: false,
    endHold: 0,
  };
}

export function createFramer(framing: "line" | "length-prefixed", maxMessageSize: number): Framer {
  return framing === "line"
    ? new LineFramer(maxMessageSize)
    : new LengthPrefixFramer(maxMessageSize);
}
