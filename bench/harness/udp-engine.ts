/**
 * The load engine for a udp:// target: `connections` connected UDP sockets,
 * each sending datagrams of --size bytes, in closed loop (`pipelining` in
 * flight per socket, one more for each echoed or lost) or open loop (--rate,
 * latency from when each was due). Every datagram is one message of the
 * payload cycle, whose first 4 bytes are its index in the cycle, so an echo
 * is matched to what was sent whatever the order and checked byte for byte.
 * A datagram not echoed within --timeout is counted `lost`; an echo that
 * matches nothing in flight (a duplicate, or one that came after it was
 * counted lost) is a `mismatch`. Same result and hooks as engine.ts.
 */
import type { udp } from "bun";
import { readThreadClock, type ThreadBusy, type ThreadClock, threadBusySince } from "./cpu.ts";
import type { EngineHooks, EngineOptions, EngineResult } from "./engine.ts";
import { createErrorCounts } from "./errors.ts";
import { createHistogram, recordMs } from "./histogram.ts";
import type { Pattern } from "./payload.ts";
import { errorDeltas, intervals } from "./seconds.ts";

interface Channel {
  socket: udp.ConnectedSocket<"buffer"> | null;
  /** The next message of the cycle to send. */
  next: number;
  /** Message index in the cycle -> when it was sent (closed loop) or due (open loop). */
  readonly inFlight: Map<number, number>;
  /** Messages the kernel refused for now (send returned false), sent again on drain. */
  readonly unsent: number[];
  /** Open loop: when slot 0 was due, and the next slot to send. */
  t0: number;
  slot: number;
}

/** A local address of the target's family on loopback (tests never bind a wildcard); else the kernel's choice. */
function localFor(host: string): { hostname?: string } {
  if (host === "::1") return { hostname: "::1" };
  if (host === "localhost" || host.startsWith("127.")) return { hostname: "127.0.0.1" };
  return {};
}

export function runUdpEngine(
  o: EngineOptions,
  pattern: Pattern,
  hooks: EngineHooks = {},
): Promise<EngineResult> {
  return new Promise((resolve) => {
    const { size, count } = pattern;
    const views = Array.from({ length: count }, (_, m) =>
      pattern.bytes.subarray(m * size, (m + 1) * size),
    );
    const latency = createHistogram();
    const errors = createErrorCounts();
    const perSecond = { messages: [] as number[], bytes: [] as number[] };
    const interval = o.rate ? (1000 * o.connections) / o.rate : 0;
    const timers: Timer[] = [];
    let phase: "warmup" | "measure" | "stopping" = o.warmup > 0 ? "warmup" : "measure";
    let budget = Number.POSITIVE_INFINITY;
    let messages = 0;
    let sent = 0;
    let bytes = 0;
    let measureStart = performance.now();
    let measureEnd = 0;
    let [clock, busy]: [ThreadClock, ThreadBusy] = [readThreadClock(), { cpu: 0, waiting: null }];
    let lastProgress = performance.now();
    const channels: Channel[] = Array.from({ length: o.connections }, (_, i) => ({
      socket: null,
      next: ((o.firstConnection + i) * 7919) % count,
      inFlight: new Map(),
      unsent: [],
      t0: 0,
      slot: 0,
    }));

    const send = (ch: Channel, at: number): void => {
      if (phase === "stopping" || ch.socket === null) return;
      if (phase === "measure") {
        if (budget <= 0) return;
        budget--;
      }
      const m = ch.next;
      ch.next = (m + 1) % count;
      // A full cycle later the same index comes round: one still in flight that long is lost.
      if (ch.inFlight.delete(m)) errors.lost++;
      ch.inFlight.set(m, at);
      sent++;
      if (!ch.socket.send(views[m] as Buffer)) ch.unsent.push(m);
    };

    const received = (ch: Channel, data: Buffer): void => {
      const m = data.length === size ? data.readUInt32BE(0) : -1;
      const view = views[m];
      const at = view === undefined ? undefined : ch.inFlight.get(m);
      if (view === undefined || at === undefined || view.compare(data) !== 0) {
        errors.mismatch++;
        return;
      }
      ch.inFlight.delete(m);
      const now = performance.now();
      lastProgress = now;
      if (phase !== "warmup") {
        messages++;
        bytes += size;
        recordMs(latency, now - at);
      }
      if (interval === 0) send(ch, now);
      maybeFinish();
    };

    const expire = (): void => {
      const now = performance.now();
      for (const ch of channels) {
        for (const [m, at] of ch.inFlight) {
          if (now - at <= o.timeout * 1000) continue;
          ch.inFlight.delete(m);
          errors.lost++;
          // A loss settles a datagram as an echo does: --amount counts it, and goes on.
          lastProgress = now;
          if (interval === 0) send(ch, now);
        }
      }
      if (o.amount !== null && now - lastProgress > o.timeout * 1000) stop();
      maybeFinish();
    };

    const sendDue = (): void => {
      const now = performance.now();
      for (const ch of channels) {
        if (ch.socket === null) continue;
        const due = Math.floor((now - ch.t0) / interval) + 1;
        for (; ch.slot < due; ch.slot++) send(ch, ch.t0 + ch.slot * interval);
      }
    };

    let sample = () => {};
    let lastSample = 0;
    const startMeasuring = () => {
      if (phase === "stopping") return;
      phase = "measure";
      latency.reset();
      messages = bytes = 0;
      budget = o.amount ?? Number.POSITIVE_INFINITY;
      measureStart = lastSample = performance.now();
      clock = readThreadClock();
      let last = { messages: 0, bytes: 0, sent };
      const latencyOfSecond = intervals();
      const errorsOfSecond = errorDeltas(errors);
      sample = () => {
        const second = {
          messages: messages - last.messages,
          bytes: bytes - last.bytes,
          sent: sent - last.sent,
        };
        perSecond.messages.push(second.messages);
        perSecond.bytes.push(second.bytes);
        last = { messages, bytes, sent };
        lastSample = performance.now();
        hooks.onSecond?.(second.messages, second.bytes, {
          ...second,
          errors: errorsOfSecond(),
          latency: latencyOfSecond(latency),
          connectLatency: null,
          open: channels.length,
        });
      };
      timers.push(setInterval(() => phase === "measure" && sample(), 1000));
      if (o.duration !== null) timers.push(setTimeout(stop, o.duration * 1000));
    };

    const stop = (): void => {
      if (phase === "stopping") return;
      // The last whole second may end a hair before its timer fires: take it now.
      if (phase === "measure" && performance.now() - lastSample >= 990) sample();
      measureEnd = performance.now();
      if (phase === "measure") busy = threadBusySince(clock, measureEnd - measureStart);
      phase = "stopping";
      maybeFinish();
    };

    const idle = () => channels.every((c) => c.inFlight.size === 0);
    let finished = false;
    function maybeFinish(): void {
      if (finished) return;
      if (phase !== "stopping") {
        if (phase === "measure" && budget <= 0 && idle()) stop();
        return;
      }
      if (!idle()) return;
      finished = true;
      for (const t of timers) clearInterval(t);
      for (const ch of channels) ch.socket?.close();
      resolve({
        messages,
        bytes,
        connects: 0,
        elapsedMs: measureEnd - measureStart,
        busy,
        perSecond,
        latency,
        connectLatency: null,
        errors,
      });
    }

    hooks.onStart?.(stop);
    const opened = channels.map(async (ch) => {
      const handler: udp.ConnectedSocketHandler<"buffer"> = {
        data: (_socket, data) => received(ch, data),
        drain: () => {
          const again = ch.unsent.splice(0);
          for (const m of again) if (!ch.socket?.send(views[m] as Buffer)) ch.unsent.push(m);
        },
        // Bun may pass no error at all (an ICMP port-unreachable for an earlier datagram).
        error: () => {
          errors.other++;
        },
      };
      ch.socket = await Bun.udpSocket({
        ...localFor(o.host),
        connect: { hostname: o.host, port: o.port },
        socket: handler,
      });
    });
    Promise.all(opened).then(
      () => {
        if (phase === "warmup") timers.push(setTimeout(startMeasuring, o.warmup * 1000));
        else startMeasuring();
        const now = performance.now();
        channels.forEach((ch, i) => {
          // --connect-rate spaces out when each socket starts sending.
          const start = o.connectRate === null ? 0 : (i * 1000) / o.connectRate;
          // Staggered, as in engine.ts, so the sockets' sends do not bunch.
          if (interval > 0) ch.t0 = now + start + i * (interval / o.connections);
          else if (start === 0) for (let k = 0; k < o.pipelining; k++) send(ch, now);
          else
            timers.push(
              setTimeout(() => {
                for (let k = 0; k < o.pipelining; k++) send(ch, performance.now());
              }, start),
            );
        });
        if (interval > 0) timers.push(setInterval(sendDue, 1));
        const tick = Math.max(10, Math.min(250, (o.timeout * 1000) / 4));
        timers.push(setInterval(expire, tick));
      },
      () => {
        errors.other++;
        stop();
      },
    );
  });
}
