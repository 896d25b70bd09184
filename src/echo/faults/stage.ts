/**
 * The one interface every fault implements. A stage is made once per
 * listener from the configuration and shared by all its connections; what
 * it keeps per connection lives in the state its `open` returns. The
 * pipeline (pipeline.ts) knows this interface, never a fault: each unit of
 * echo passes every stage's `enter` on its way into the pending queue, and
 * every stage's `leave` on its way out to the socket.
 */
import type { EchoStats } from "../stats.ts";

/** Why a connection stops echoing before the peer is done. */
export type Cut = "message_too_large" | "fault_close" | "fault_reset";

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
}
