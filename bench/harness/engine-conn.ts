/**
 * The state of one engine run and of each of its connections, shared by the
 * run's orchestration (engine.ts), its socket handlers and its connection
 * lifecycle: kept apart so each of those can import it without importing the
 * others.
 */
import type { Socket, SocketHandler } from "bun";
import type { ErrorCounts } from "./errors.ts";
import type { Histogram } from "./histogram.ts";
import { type Pattern, startOffset } from "./payload.ts";
import type { ClientTls, Transport } from "./target.ts";

/** One stage of an open loop: this many messages a second for this many seconds. */
export interface RateStage {
  readonly rate: number;
  readonly seconds: number;
}

export interface EngineOptions {
  readonly transport: Transport;
  readonly host: string;
  readonly port: number;
  /** Unix targets: the socket's path. */
  readonly unix: string | null;
  /** TLS targets: the client's settings. */
  readonly tls: ClientTls | null;
  readonly connections: number;
  readonly pipelining: number;
  /** Seconds of measured load after the warmup; null when `amount` bounds the run. */
  readonly duration: number | null;
  /** Messages to echo in total (after the warmup); null when `duration` bounds the run. */
  readonly amount: number | null;
  readonly warmup: number;
  /** Seconds a message may take before it counts as a timeout. */
  readonly timeout: number;
  /** Messages per second for this worker (open loop), or null (closed loop). */
  readonly rate: number | null;
  readonly churn: boolean;
  /** Bytes each connection skips before its echo (a server banner); negative: a line of at most -banner bytes. */
  readonly banner: number;
  /** Connections opened per second (this worker's share), or null for all at once. */
  readonly connectRate: number | null;
  /** Seconds after which a connection closes and reconnects, or null. */
  readonly channelLifetime: number | null;
  /** Open loop in stages (this worker's share of each rate), or null. */
  readonly stages: readonly RateStage[] | null;
  /** Index of this worker's first connection among all workers', to spread payload offsets. */
  readonly firstConnection: number;
}

type Phase = "warmup" | "measure" | "stopping";

export interface Run {
  readonly o: EngineOptions;
  readonly pattern: Pattern;
  readonly size: number;
  readonly cycle: number;
  readonly latency: Histogram;
  readonly connectLatency: Histogram;
  readonly errors: ErrorCounts;
  readonly handlers: SocketHandler<Conn>;
  /** Milliseconds between two messages of one connection (open loop). */
  readonly interval: number;
  phase: Phase;
  /** Messages still to send (amount mode), Infinity otherwise. */
  budget: number;
  messages: number;
  bytes: number;
  connects: number;
  /** Messages queued on sockets since closed (for the live count of messages sent). */
  sentBefore: number;
  /** Connections not yet finished. */
  live: number;
  /** When a message was last echoed (or the run began): amount mode gives up after --timeout without one. */
  lastProgress: number;
  finish: () => void;
}

export class Conn {
  socket: Socket<Conn> | null = null;
  /** Messages queued on this socket, and fully echoed. */
  sent = 0;
  received = 0;
  /** Bytes of the current, partly echoed message. */
  partial = 0;
  /** Bytes queued that the kernel has not taken yet. */
  pending = 0;
  /** Banner bytes still to skip (see EngineOptions.banner); 0 once echo begins. */
  skip = 0;
  writeOffset: number;
  readOffset: number;
  /**
   * Closed loop: the messages in flight, as the batches they were queued in
   * (one batch per read echoed, so at most `pipelining`): a ring of queue
   * times and message counts, oldest at `batchHead`, next free at `batchTail`.
   */
  readonly batchTimes: Float64Array;
  readonly batchCounts: Float64Array;
  batchHead = 0;
  batchTail = 0;
  /** Open loop: due time of slot 0, the slot of this socket's message 0, the next slot to send. */
  t0 = 0;
  slotBase = 0;
  slotNext = 0;
  connectStart = 0;
  /** When this socket opened, and whether it is past --channel-lifetime (sends no more, closes once echoed). */
  openedAt = 0;
  retiring = false;
  /** We closed it on purpose (run over, churn cycle done, or a counted failure). */
  closing = false;
  done = false;

  constructor(
    readonly run: Run,
    readonly index: number,
  ) {
    this.writeOffset = this.readOffset = startOffset(run.pattern, index);
    this.batchTimes = new Float64Array(Math.max(1, run.o.pipelining));
    this.batchCounts = new Float64Array(this.batchTimes.length);
  }
}
