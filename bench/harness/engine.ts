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
 * Hot-path discipline, as in the daemon: one handler object for every
 * socket, state in `socket.data`, the payload cycle written straight from a
 * preallocated buffer (`write(buf, offset, length)`), so the write queue is a
 * byte count, and echoes checked with a native compare against the same
 * cycle. `socket.write` may take part of what it is given: the rest stays
 * queued and is written again from `drain`.
 */
import type { Socket, SocketHandler } from "bun";
import { createErrorCounts, type ErrorClass, type ErrorCounts } from "./errors.ts";
import { createHistogram, type Histogram, recordMs } from "./histogram.ts";
import { matches, type Pattern, startOffset } from "./payload.ts";

export interface EngineOptions {
  readonly host: string;
  readonly port: number;
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
  /** Index of this worker's first connection among all workers', to spread payload offsets. */
  readonly firstConnection: number;
}

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
}

export interface EngineHooks {
  /** Called once a second of measured load with that second's counts. */
  onSecond?(messages: number, bytes: number): void;
}

type Phase = "warmup" | "measure" | "stopping";

interface Run {
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
  /** Connections not yet finished. */
  live: number;
  /** When a message was last echoed (or the run began): amount mode gives up after --timeout without one. */
  lastProgress: number;
  finish: () => void;
}

class Conn {
  socket: Socket<Conn> | null = null;
  /** Messages queued on this socket, and fully echoed. */
  sent = 0;
  received = 0;
  /** Bytes of the current, partly echoed message. */
  partial = 0;
  /** Bytes queued that the kernel has not taken yet. */
  pending = 0;
  writeOffset: number;
  readOffset: number;
  /** Closed loop: queue time of message i at [i % pipelining]. */
  readonly sendTimes: Float64Array;
  /** Open loop: due time of slot 0, the slot of this socket's message 0, the next slot to send. */
  t0 = 0;
  slotBase = 0;
  slotNext = 0;
  connectStart = 0;
  /** We closed it on purpose (run over, churn cycle done, or a counted failure). */
  closing = false;
  done = false;

  constructor(
    readonly run: Run,
    readonly index: number,
  ) {
    this.writeOffset = this.readOffset = startOffset(run.pattern, index);
    this.sendTimes = new Float64Array(Math.max(1, run.o.pipelining));
  }
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
      handlers: createHandlers(),
      interval: o.rate ? (1000 * o.connections) / o.rate : 0,
      phase: o.warmup > 0 ? "warmup" : "measure",
      budget: Number.POSITIVE_INFINITY,
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
    let sample = () => {};
    let finalSample = () => {};

    const startMeasuring = () => {
      run.phase = "measure";
      run.latency.reset();
      run.connectLatency.reset();
      run.messages = run.bytes = run.connects = 0;
      run.budget = o.amount ?? Number.POSITIVE_INFINITY;
      measureStart = performance.now();
      let lastMessages = 0;
      let lastBytes = 0;
      let lastSample = measureStart;
      sample = () => {
        perSecond.messages.push(run.messages - lastMessages);
        perSecond.bytes.push(run.bytes - lastBytes);
        hooks.onSecond?.(run.messages - lastMessages, run.bytes - lastBytes);
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
      finalSample();
      run.phase = "stopping";
      for (const c of conns) settle(c);
      // Echoes still in flight get --timeout; a connect the server never answers (a full
      // backlog drops SYNs, which the kernel retries for minutes) gets no longer than that.
      timers.push(setTimeout(() => abandon(conns), o.timeout * 1000 + 1000));
    };

    run.finish = () => {
      if (run.phase !== "stopping") measureEnd = performance.now();
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
      });
    };

    if (run.phase === "warmup") timers.push(setTimeout(startMeasuring, o.warmup * 1000));
    else startMeasuring();
    const tick = Math.max(10, Math.min(250, (o.timeout * 1000) / 4));
    timers.push(
      setInterval(() => {
        checkTimeouts(conns);
        // Amount mode has no clock of its own: a server that never echoes must not keep it running.
        if (o.amount !== null && performance.now() - run.lastProgress > o.timeout * 1000) stop();
      }, tick),
    );
    if (o.rate) timers.push(setInterval(() => sendDue(conns), 1));
    for (const c of conns) connect(c);
  });
}

function connect(c: Conn): void {
  const run = c.run;
  c.closing = false;
  c.connectStart = performance.now();
  Bun.connect<Conn>({
    hostname: run.o.host,
    port: run.o.port,
    data: c,
    socket: run.handlers,
  }).catch(() => {
    // Reported through connectError.
  });
}

/** After a failure or a clean close: connect again, or finish this connection if the run is over. */
function next(c: Conn, delayMs: number): void {
  c.socket = null;
  const run = c.run;
  if (run.phase === "stopping" || run.budget <= 0) {
    finishConn(c);
    return;
  }
  if (delayMs > 0)
    setTimeout(() => (run.phase === "stopping" ? finishConn(c) : connect(c)), delayMs);
  else connect(c);
}

function finishConn(c: Conn): void {
  if (c.done) return;
  c.done = true;
  if (--c.run.live === 0) c.run.finish();
}

/** Ends a connection that has nothing in flight once the run is over (or its budget spent). */
function settle(c: Conn): void {
  const run = c.run;
  if (c.done || c.closing) return;
  if (c.socket === null) {
    // Connecting or waiting to reconnect: finished when that resolves.
    return;
  }
  if ((run.phase === "stopping" || run.budget <= 0) && c.sent === c.received) {
    c.closing = true;
    c.socket.end();
  }
}

/** Ends the run's last connections by force, counting each one still connecting as a timeout. */
function abandon(conns: readonly Conn[]): void {
  for (const c of conns) {
    if (c.done) continue;
    if (c.socket === null) c.run.errors.timeout++;
    else if (!c.closing) fail(c, "timeout");
    finishConn(c);
  }
}

function fail(c: Conn, kind: ErrorClass): void {
  c.run.errors[kind]++;
  c.closing = true;
  c.socket?.terminate();
}

/** Queues up to `n` more messages on `c`, within the budget; returns how many. */
function queue(c: Conn, n: number, now: number): number {
  const run = c.run;
  if (run.phase === "stopping") return 0;
  let k = n;
  if (run.phase === "measure" && run.budget < k) k = run.budget;
  if (k <= 0) return 0;
  if (run.phase === "measure") run.budget -= k;
  if (run.interval === 0) {
    const times = c.sendTimes;
    const p = times.length;
    for (let i = 0; i < k; i++) times[(c.sent + i) % p] = now;
  }
  c.sent += k;
  c.pending += k * run.size;
  return k;
}

/** Writes what is queued until the kernel stops taking it; `drain` calls it again. */
function flush(c: Conn): void {
  const socket = c.socket;
  if (socket === null) return;
  const bytes = c.run.pattern.bytes;
  const cycle = c.run.cycle;
  while (c.pending > 0) {
    const chunk = Math.min(c.pending, cycle - c.writeOffset);
    const n = socket.write(bytes, c.writeOffset, chunk);
    if (n <= 0) return;
    c.pending -= n;
    c.writeOffset += n;
    if (c.writeOffset === cycle) c.writeOffset = 0;
    if (n < chunk) return;
  }
}

function createHandlers(): SocketHandler<Conn> {
  return {
    open(socket) {
      const c = socket.data;
      const run = c.run;
      const now = performance.now();
      c.socket = socket;
      c.sent = c.received = c.partial = c.pending = 0;
      c.readOffset = c.writeOffset = startOffset(run.pattern, c.index);
      if (run.phase === "stopping") {
        c.closing = true;
        socket.end();
        return;
      }
      if (run.o.churn) {
        if (run.phase === "measure") recordMs(run.connectLatency, now - c.connectStart);
        queue(c, 1, now);
      } else if (run.interval > 0) {
        // Staggered so the connections' sends do not bunch; a reconnect skips what fell due while down.
        if (c.t0 === 0)
          c.t0 = now + (c.index % run.o.connections) * (run.interval / run.o.connections);
        c.slotBase = c.slotNext = Math.max(0, Math.floor((now - c.t0) / run.interval) + 1);
        sendDueOne(c, now);
      } else {
        queue(c, run.o.pipelining, now);
      }
      flush(c);
      if (c.sent === 0) settle(c);
    },

    data(socket, chunk) {
      const c = socket.data;
      if (c.closing) return;
      const run = c.run;
      const size = run.size;
      const length = chunk.length;
      if (length > (c.sent - c.received) * size - c.partial) {
        fail(c, "mismatch");
        return;
      }
      let at = 0;
      let offset = c.readOffset;
      while (at < length) {
        const take = Math.min(length - at, run.cycle - offset);
        if (!matches(run.pattern, offset, chunk, at, take)) {
          fail(c, "mismatch");
          return;
        }
        at += take;
        offset += take;
        if (offset === run.cycle) offset = 0;
      }
      c.readOffset = offset;
      const measuring = run.phase !== "warmup";
      if (measuring) run.bytes += length;
      const total = c.partial + length;
      const done = Math.floor(total / size);
      c.partial = total - done * size;
      if (done === 0) return;

      const now = performance.now();
      run.lastProgress = now;
      if (measuring) {
        run.messages += done;
        const first = c.received;
        if (run.interval > 0) {
          const due0 = c.t0 + c.slotBase * run.interval;
          for (let i = 0; i < done; i++) {
            recordMs(run.latency, now - (due0 + (first + i) * run.interval));
          }
        } else {
          // Messages queued together share a queue time: one record per run of equal times.
          const times = c.sendTimes;
          const p = times.length;
          let sentAt = times[first % p] as number;
          let count = 1;
          for (let i = 1; i < done; i++) {
            const t = times[(first + i) % p] as number;
            if (t === sentAt) {
              count++;
            } else {
              recordMs(run.latency, now - sentAt, count);
              sentAt = t;
              count = 1;
            }
          }
          recordMs(run.latency, now - sentAt, count);
        }
      }
      c.received += done;

      if (run.o.churn) {
        c.closing = true;
        socket.end();
        return;
      }
      if (run.interval === 0) {
        queue(c, done, now);
        flush(c);
      }
      if (c.sent === c.received) settle(c);
    },

    drain(socket) {
      flush(socket.data);
    },

    close(socket, error) {
      const c = socket.data;
      const run = c.run;
      if (c.closing) {
        if (run.o.churn && c.received === 1 && run.phase === "measure") run.connects++;
        next(c, 0);
        return;
      }
      const code = (error as { code?: string } | undefined)?.code;
      if (code === "ECONNRESET" || code === "EPIPE") run.errors.reset++;
      else if (error) run.errors.other++;
      else if (c.sent > c.received) run.errors.short++;
      else run.errors.closed++;
      next(c, 10);
    },

    connectError(socket, error) {
      const c = socket.data;
      const code = (error as { code?: string }).code;
      if (code === "ECONNREFUSED") c.run.errors.refused++;
      else if (code === "ECONNRESET") c.run.errors.reset++;
      else c.run.errors.other++;
      next(c, 100);
    },

    error(socket) {
      socket.data.run.errors.other++;
    },
  };
}

/** Open loop: queues every message that has fallen due, on every connection. */
function sendDue(conns: readonly Conn[]): void {
  const now = performance.now();
  for (const c of conns) {
    if (c.socket !== null && !c.closing) sendDueOne(c, now);
  }
}

function sendDueOne(c: Conn, now: number): void {
  const due = Math.floor((now - c.t0) / c.run.interval) + 1;
  if (due > c.slotNext) {
    queue(c, due - c.slotNext, now);
    c.slotNext = due;
    flush(c);
  }
}

/** Fails connections whose oldest message in flight is older than --timeout. */
function checkTimeouts(conns: readonly Conn[]): void {
  const now = performance.now();
  for (const c of conns) {
    if (c.socket === null || c.closing || c.sent === c.received) continue;
    const run = c.run;
    const oldest =
      run.interval > 0
        ? c.t0 + (c.slotBase + c.received) * run.interval
        : (c.sendTimes[c.received % c.sendTimes.length] as number);
    if (now - oldest > run.o.timeout * 1000) fail(c, "timeout");
  }
}
