/**
 * The load engine of one harness worker: `connections` sockets from
 * `Bun.connect`, driven in one of three modes.
 *
 * - closed loop: each connection keeps `pipelining` messages in flight and
 *   sends one more for each one echoed; latency from when it was queued.
 * - open loop (`rate`): each connection sends on a fixed schedule whatever is
 *   in flight, and latency counts from when a message was *due*, so a server
 *   (or a harness) that stalls shows up in the tail (wrk2's correction for
 *   coordinated omission).
 * - churn: connect, echo one message, close, again; connect latency too.
 *
 * This module runs one: its phases, timers, per-second samples and result.
 * The per-message path is in engine-handlers.ts.
 */
import { readThreadClock, type ThreadBusy, threadBusySince } from "./cpu.ts";
import { Conn, type EngineOptions, type Run } from "./engine-conn.ts";
import { abandon, checkTimeouts, openAll, retire } from "./engine-deadlines.ts";
import { sendDue, settle } from "./engine-handlers.ts";
import { connect } from "./engine-lifecycle.ts";
import { createErrorCounts, type ErrorCounts } from "./errors.ts";
import { createHistogram, type Histogram } from "./histogram.ts";
import type { Pattern } from "./payload.ts";
import { errorDeltas, intervals, type Second } from "./seconds.ts";
import { createTransportHandlers } from "./transport-tls.ts";

export type { EngineOptions } from "./engine-conn.ts";

export interface EngineResult {
  readonly messages: number;
  readonly bytes: number;
  /** Churn: connections that connected, echoed and closed cleanly. */
  readonly connects: number;
  /** Milliseconds of measured load (after the warmup). */
  readonly elapsedMs: number;
  readonly perSecond: { readonly messages: number[]; readonly bytes: number[] };
  readonly latency: Histogram;
  readonly connectLatency: Histogram | null;
  readonly errors: ErrorCounts;
  /** This worker's thread over the measured load: CPU and run-queue wait, as fractions of one core. */
  readonly busy: ThreadBusy;
}

export interface EngineHooks {
  /** Called once a second of measured load with that second's counts (and all of that second in `second`). */
  onSecond?(messages: number, bytes: number, second: Second): void;
  /** Called once, at the start, with the function that ends the run early (--abort-on-fail). */
  onStart?(stop: () => void): void;
}

export function runEngine(
  o: EngineOptions,
  pattern: Pattern,
  hooks: EngineHooks = {},
): Promise<EngineResult> {
  return new Promise((resolve) => {
    const run: Run = {
      o,
      pattern,
      size: pattern.size,
      cycle: pattern.bytes.length,
      latency: createHistogram(),
      connectLatency: createHistogram(),
      errors: createErrorCounts(),
      handlers: createTransportHandlers(o),
      interval: o.rate ? (1000 * o.connections) / o.rate : 0,
      phase: o.warmup > 0 ? "warmup" : "measure",
      budget: Number.POSITIVE_INFINITY,
      sentBefore: 0,
      messages: 0,
      bytes: 0,
      connects: 0,
      live: o.connections,
      lastProgress: performance.now(),
      finish: () => {},
    };
    const conns = Array.from(
      { length: o.connections },
      (_, i) => new Conn(run, o.firstConnection + i),
    );
    const timers: Timer[] = [];
    const perSecond = { messages: [] as number[], bytes: [] as number[] };
    let measureStart = performance.now();
    let measureEnd = 0;
    let clock = readThreadClock();
    let busy: ThreadBusy = { cpu: 0, waiting: null };
    let sample = () => {};
    let finalSample = () => {};

    const startMeasuring = () => {
      if (run.phase === "stopping") return;
      run.phase = "measure";
      run.latency.reset();
      run.connectLatency.reset();
      run.messages = run.bytes = run.connects = 0;
      run.budget = o.amount ?? Number.POSITIVE_INFINITY;
      measureStart = performance.now();
      clock = readThreadClock();
      let lastMessages = 0;
      let lastBytes = 0;
      let lastSample = measureStart;
      const latencyOfSecond = intervals();
      const connectOfSecond = intervals();
      const errorsOfSecond = errorDeltas(run.errors);
      const sentSoFar = () => conns.reduce((n, c) => n + c.sent, run.sentBefore);
      let lastSent = sentSoFar();
      sample = () => {
        perSecond.messages.push(run.messages - lastMessages);
        perSecond.bytes.push(run.bytes - lastBytes);
        const sentNow = sentSoFar();
        hooks.onSecond?.(run.messages - lastMessages, run.bytes - lastBytes, {
          messages: run.messages - lastMessages,
          bytes: run.bytes - lastBytes,
          sent: sentNow - lastSent,
          errors: errorsOfSecond(),
          latency: latencyOfSecond(run.latency),
          connectLatency: o.churn ? connectOfSecond(run.connectLatency) : null,
          open: conns.reduce((n, c) => n + (c.socket === null ? 0 : 1), 0),
        });
        lastSent = sentNow;
        lastMessages = run.messages;
        lastBytes = run.bytes;
        lastSample = performance.now();
      };
      // The last whole second may end a hair before its timer fires: take it when the run stops.
      finalSample = () => {
        if (performance.now() - lastSample >= 990) sample();
      };
      timers.push(setInterval(() => run.phase === "measure" && sample(), 1000));
      if (o.duration !== null) timers.push(setTimeout(stop, o.duration * 1000));
    };

    const stop = () => {
      if (run.phase === "stopping") return;
      measureEnd = performance.now();
      busy = threadBusySince(clock, measureEnd - measureStart);
      finalSample();
      run.phase = "stopping";
      for (const c of conns) settle(c);
      // Echoes still in flight get --timeout; a connect the server never answers (a full
      // backlog drops SYNs, which the kernel retries for minutes) gets no longer than that.
      timers.push(setTimeout(() => abandon(conns), o.timeout * 1000 + 1000));
    };

    run.finish = () => {
      if (run.phase !== "stopping") {
        measureEnd = performance.now();
        busy = threadBusySince(clock, measureEnd - measureStart);
      }
      for (const t of timers) clearInterval(t);
      resolve({
        messages: run.messages,
        bytes: run.bytes,
        connects: run.connects,
        elapsedMs: measureEnd - measureStart,
        perSecond,
        latency: run.latency,
        connectLatency: o.churn ? run.connectLatency : null,
        errors: run.errors,
        busy,
      });
    };

    hooks.onStart?.(stop);
    if (run.phase === "warmup") timers.push(setTimeout(startMeasuring, o.warmup * 1000));
    else startMeasuring();
    const tick = Math.max(10, Math.min(250, (o.timeout * 1000) / 4));
    timers.push(
      setInterval(() => {
        checkTimeouts(conns);
        if (o.channelLifetime !== null) retire(conns, o.channelLifetime);
        // Amount mode has no clock of its own: a server that never echoes must not keep it running.
        if (o.amount !== null && performance.now() - run.lastProgress > o.timeout * 1000) stop();
      }, tick),
    );
    if (o.rate) timers.push(setInterval(() => sendDue(conns), 1));
    openAll(conns, o.connectRate, connect, timers);
  });
}
