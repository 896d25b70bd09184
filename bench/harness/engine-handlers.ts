/**
 * The engine's per-message path: the one socket handler object every
 * connection shares, and the queueing, writing and echo checking it drives.
 *
 * Hot-path discipline, as in the daemon: one handler object for every
 * socket, state in `socket.data`, the payload cycle written straight from a
 * preallocated buffer (`write(buf, offset, length)`), so the write queue is a
 * byte count, and echoes checked with a native compare against the same
 * cycle. `socket.write` may take part of what it is given: the rest stays
 * queued and is written again from `drain`.
 */
import type { SocketHandler } from "bun";
import { skipBanner } from "./banner.ts";
import type { Conn } from "./engine-conn.ts";
import { next } from "./engine-lifecycle.ts";
import type { ErrorClass } from "./errors.ts";
import { recordMs } from "./histogram.ts";
import { matches, startOffset } from "./payload.ts";

export /** Ends a connection that has nothing in flight once the run is over (or its budget spent). */
function settle(c: Conn): void {
  const run = c.run;
  if (c.done || c.closing) return;
  if (c.socket === null) {
    // Connecting or waiting to reconnect: finished when that resolves.
    return;
  }
  if ((run.phase === "stopping" || run.budget <= 0 || c.retiring) && c.sent === c.received) {
    c.closing = true;
    c.socket.end();
  }
}

export function fail(c: Conn, kind: ErrorClass): void {
  c.run.errors[kind]++;
  c.closing = true;
  c.socket?.terminate();
}

/** Queues up to `n` more messages on `c`, within the budget; returns how many. */
function queue(c: Conn, n: number, now: number): number {
  const run = c.run;
  if (run.phase === "stopping" || c.retiring) return 0;
  let k = n;
  if (run.phase === "measure" && run.budget < k) k = run.budget;
  if (k <= 0) return 0;
  if (run.phase === "measure") run.budget -= k;
  if (run.interval === 0) {
    const tail = c.batchTail;
    c.batchTimes[tail] = now;
    c.batchCounts[tail] = k;
    c.batchTail = tail + 1 === c.batchCounts.length ? 0 : tail + 1;
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

export function createHandlers(): SocketHandler<Conn> {
  return {
    open(socket) {
      const c = socket.data;
      const run = c.run;
      const now = performance.now();
      c.socket = socket;
      c.openedAt = now;
      c.retiring = false;
      run.sentBefore += c.sent;
      c.sent = c.received = c.partial = c.pending = 0;
      c.skip = run.o.banner;
      c.batchHead = c.batchTail = 0;
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

    data(socket, received) {
      const c = socket.data;
      if (c.closing) return;
      const chunk = c.skip === 0 ? received : skipBanner(c, received);
      if (chunk === null) return;
      if (chunk === false) return fail(c, "mismatch");
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
      if (measuring) run.messages += done;
      if (run.interval > 0) {
        if (measuring) {
          const due0 = c.t0 + (c.slotBase + c.received) * run.interval;
          for (let i = 0; i < done; i++) recordMs(run.latency, now - (due0 + i * run.interval));
        }
      } else {
        // Messages queued together share a queue time: one record per batch, however many it holds.
        const times = c.batchTimes;
        const counts = c.batchCounts;
        const ring = counts.length;
        let head = c.batchHead;
        let left = done;
        while (left > 0) {
          const inBatch = counts[head] as number;
          const n = Math.min(inBatch, left);
          if (measuring) recordMs(run.latency, now - (times[head] as number), n);
          left -= n;
          if (n < inBatch) counts[head] = inBatch - n;
          else head = head + 1 === ring ? 0 : head + 1;
        }
        c.batchHead = head;
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

export /** Open loop: queues every message that has fallen due, on every connection. */
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
