/**
 * The one interface every fault implements. A stage is made once per
 * listener from the configuration and shared by all its connections; what
 * it keeps per connection lives in the state its `open` returns. The
 * pipeline (pipeline.ts) knows this interface, never a fault: each unit of
 * echo passes every stage's `enter` on its way into the pending queue, and
 * every stage's `leave` on its way out to the socket. A stage may also cut
 * the connection at a set time (`cutAt`, `expire`) or hold its end back
 * (`holdEnd`); ending.ts keeps the one clock per connection for those.
 */
import type { EchoStats } from "../stats.ts";

/** Why a connection stops echoing before the peer is done. */
export type Cut =
  | "message_too_large"
  | "fault_close"
  | "fault_reset"
  | "fault_timeout"
  | "fault_limit_time";

/** What a stage may set on the connection for the unit entering. */
export interface Passage {
  /** When the unit may leave (ms, performance.now clock); 0 = at once. */
  due: number;
  /** Set once the connection is to be ended after what it holds has gone out. */
  cut: Cut | null;
}

export interface FaultStage<State = unknown> {
  /** This stage's per-connection state, made when a connection that drew the faults opens. */
  open(now: number): State;
  /**
   * A unit (one chunk, or a run of `messages` whole messages) on its way
   * in: counts the fault and returns the bytes that go on (fewer, or none,
   * when the stage ends the stream).
   */
  enter?(
    state: State,
    bytes: Uint8Array,
    messages: number,
    passage: Passage,
    stats: EchoStats,
  ): Uint8Array;
  /**
   * `n` bytes at the head of the pending queue, which were due at `due`,
   * could leave at `now`: returns how many may (1 to n), or, when none may
   * yet, minus the milliseconds to wait (a value below 0).
   */
  leave?(state: State, n: number, now: number, due: number): number;
  /** One write per turn of the event loop, so that each leaves as its own segment. */
  readonly writePerTurn?: boolean;
  /**
   * When this stage will cut the connection (ms, performance.now clock), or
   * 0 for not (or no longer): read after `open` and after each unit entered.
   * The pipeline keeps one timer per connection for the earliest such time.
   */
  cutAt?(state: State): number;
  /** That time has come: set `passage.cut` unless another cut came first, and count the fault. */
  expire?(state: State, passage: Passage, stats: EchoStats): void;
  /** While its cut is due, the peer's FIN does not end the connection: the cut does. */
  readonly holdsEnd?: boolean;
  /**
   * The connection is about to end (echod's FIN, or RST, after the peer's
   * FIN or a cut): how many ms to hold that end back, counting the fault.
   */
  holdEnd?(state: State, stats: EchoStats): number;
}
