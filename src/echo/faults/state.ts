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
import type { FaultStage, Passage } from "./stage.ts";

export interface FaultState extends BlockHolder, Passage {
  readonly framer: Framer | null;
  /** Scratch batch the framer fills for one chunk; reused. */
  readonly batch: FrameBatch;
  /** The listener's plan this connection runs (a control API change with scope all replaces it). */
  plan: FaultPlan;
  /** The listener's plan epoch when this connection took its plan (see PlanHolder). */
  epoch: number;
  /** This connection drew the faults (see --fault-rate). */
  faulty: boolean;
  /** The plan's stages if faulty, else none. */
  stages: readonly FaultStage[];
  /** Each stage's own state, in the order of `stages`. */
  stageStates: readonly unknown[];
  /** A stage writes once per turn of the event loop. */
  writePerTurn: boolean;
  /** A stage cuts at a set time (--timeout, --limit-time): the clock is armed after each unit. */
  timed: boolean;
  /** A stage holds the end back (--slow-close). */
  holds: boolean;
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
const NO_STAGES: readonly FaultStage[] = [];

/**
 * What a listener's connections read their plan from: `plan` for new
 * connections; `epoch` goes up when a change is to reach open connections
 * too, which then take the plan at their next chunk (adoptPlan).
 */
export interface PlanHolder {
  plan: FaultPlan;
  epoch: number;
  /** The plan of a connection that opened on the raw handlers: no stages. */
  readonly clean: FaultPlan;
  /** The epoch such a connection had: the one before the change that moved the listener off the raw handlers. */
  rawEpoch: number;
}

export function createFaultState(plan: FaultPlan, now: number, epoch = 0): FaultState {
  const f: FaultState = {
    framer: plan.framing === null ? null : createFramer(plan.framing, plan.maxMessageSize),
    batch: createFrameBatch(),
    block: null,
    blockUsed: 0,
    plan,
    epoch,
    faulty: false,
    stages: NO_STAGES,
    stageStates: NO_STATES,
    writePerTurn: false,
    timed: false,
    holds: false,
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
  adoptPlan(f, plan, epoch, now);
  return f;
}

/**
 * Puts a connection on `plan`: every stage at once, each afresh (a
 * --close-after budget and a --limit-time count from here), the
 * --fault-rate draw again; the caller arms the clock of a timed plan.
 * The framer and the bytes already pending stay, so nothing is lost or
 * reordered: new units queue behind the pending ones.
 */
export function adoptPlan(f: FaultState, plan: FaultPlan, epoch: number, now: number): void {
  const faulty = plan.stages.length > 0 && (plan.faultRate >= 1 || Math.random() < plan.faultRate);
  f.plan = plan;
  f.epoch = epoch;
  f.faulty = faulty;
  f.stages = faulty ? plan.stages : NO_STAGES;
  f.stageStates = faulty ? plan.stages.map((stage) => stage.open(now)) : NO_STATES;
  f.writePerTurn = f.stages.some((stage) => stage.writePerTurn === true);
  f.timed = f.stages.some((stage) => stage.cutAt !== undefined);
  f.holds = f.stages.some((stage) => stage.holdEnd !== undefined);
  // A cut the old plan had set is gone with it (a held end, already begun, runs out).
  if (f.clock !== null && f.endHold === 0) {
    clearTimeout(f.clock);
    f.clock = null;
    f.clockAt = 0;
  }
  f.awaitCut = false;
}

export function createFramer(framing: "line" | "length-prefixed", maxMessageSize: number): Framer {
  return framing === "line"
    ? new LineFramer(maxMessageSize)
    : new LengthPrefixFramer(maxMessageSize);
}
