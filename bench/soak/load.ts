/**
 * The soak's load loops, each bounded and loopback-only: byte-verified
 * streams at a fixed rate, ping-pong, connection churn, idle connections
 * that the idle timeout closes (and that are opened again), and connections
 * reset (RST) mid-transfer. Clients are node:net (or node:tls) sockets,
 * whose writes are buffered for us; every loop stops when `stop()` is called.
 */
import { randomBytes } from "node:crypto";
import net from "node:net";
import tls from "node:tls";

export interface LoadOptions {
  readonly host: string;
  readonly port: number;
  /** Connect with TLS (self-signed server certificate: not verified). */
  readonly tls: boolean;
  readonly streams: number;
  /** Bytes per second per stream. */
  readonly streamRate: number;
  readonly pingPong: number;
  /** New short connections per second (send 1 KiB, half-close, read it back). */
  readonly churn: number;
  readonly idle: number;
  /** Connections reset per second after sending 32 KiB. */
  readonly resets: number;
}

export interface LoadCounters {
  streamBytes: number;
  roundTrips: number;
  churned: number;
  idleClosed: number;
  resets: number;
  /** Echo that differed from what was sent, or a connection lost that should not have been. */
  errors: number;
  lastError: string;
}

export interface Load {
  readonly counters: LoadCounters;
  /** Closes every client and stops every loop. */
  stop(): Promise<void>;
}

const TICK_MS = 100;
const MAX_CHURN_IN_FLIGHT = 64;

export function startLoad(o: LoadOptions): Load {
  const counters: LoadCounters = {
    streamBytes: 0,
    roundTrips: 0,
    churned: 0,
    idleClosed: 0,
    resets: 0,
    errors: 0,
    lastError: "",
  };
  const open = new Set<net.Socket>();
  let running = true;
  const fail = (why: string) => {
    counters.errors++;
    counters.lastError = why;
  };
  const connect = (): Promise<net.Socket> =>
    new Promise((resolve, reject) => {
      const socket = o.tls
        ? // allowHalfOpen works on TLS sockets too, though @types/node leaves it out here.
          tls.connect({
            host: o.host,
            port: o.port,
            rejectUnauthorized: false,
            allowHalfOpen: true,
          } as tls.ConnectionOptions)
        : net.connect({ host: o.host, port: o.port, allowHalfOpen: true });
      socket.once(o.tls ? "secureConnect" : "connect", () => {
        socket.off("error", reject);
        open.add(socket);
        socket.once("close", () => open.delete(socket));
        resolve(socket);
      });
      socket.once("error", reject);
    });

  const timers: ReturnType<typeof setInterval>[] = [];
  const loops: Promise<void>[] = [];
  for (let i = 0; i < o.streams; i++) loops.push(stream());
  for (let i = 0; i < o.pingPong; i++) loops.push(pingPong());
  for (let i = 0; i < o.idle; i++) loops.push(idle());
  if (o.churn > 0) timers.push(every(o.churn, churnOne));
  if (o.resets > 0) timers.push(every(o.resets, resetOne));

  /** Calls `fn` `perSecond` times a second, in bursts every TICK_MS. */
  function every(perSecond: number, fn: () => void) {
    let owed = 0;
    return setInterval(() => {
      owed += (perSecond * TICK_MS) / 1000;
      for (; owed >= 1; owed--) fn();
    }, TICK_MS);
  }

  async function stream(): Promise<void> {
    const block = randomBytes(64 * 1024);
    while (running) {
      const socket = await connect().catch((e: Error) => fail(`stream connect: ${e.message}`));
      if (!socket) {
        await Bun.sleep(500);
        continue;
      }
      let sent = 0;
      let received = 0;
      socket.on("data", (d: Buffer) => {
        // Compare with the block at the same offset, wrapping around.
        for (let at = 0; at < d.length; ) {
          const offset = (received + at) % block.length;
          const n = Math.min(d.length - at, block.length - offset);
          if (d.compare(block, offset, offset + n, at, at + n) !== 0) {
            fail(`stream: byte mismatch at offset ${received + at}`);
            socket.destroy();
            return;
          }
          at += n;
        }
        received += d.length;
        counters.streamBytes += d.length;
      });
      const gone = new Promise<void>((r) => socket.once("close", () => r()));
      socket.on("error", (e) => {
        if (running) fail(`stream: ${e.message}`);
      });
      const perTick = Math.max(1, Math.round((o.streamRate * TICK_MS) / 1000));
      while (running && !socket.destroyed) {
        let left = perTick;
        while (left > 0) {
          const offset = sent % block.length;
          const n = Math.min(left, block.length - offset);
          socket.write(block.subarray(offset, offset + n));
          sent += n;
          left -= n;
        }
        if (socket.writableLength > 4 * perTick) {
          await new Promise((r) => socket.once("drain", r));
        }
        await Bun.sleep(TICK_MS);
      }
      if (!running) socket.end();
      await gone;
      if (running) fail("stream: connection closed by the server");
    }
  }

  async function pingPong(): Promise<void> {
    while (running) {
      const socket = await connect().catch((e: Error) => fail(`ping-pong connect: ${e.message}`));
      if (!socket) {
        await Bun.sleep(500);
        continue;
      }
      socket.on("error", () => {});
      let pending = Buffer.alloc(0);
      let waiter: (() => void) | null = null;
      socket.on("data", (d: Buffer) => {
        pending = Buffer.concat([pending, d]);
        waiter?.();
      });
      socket.once("close", () => waiter?.());
      for (let n = 0; running && !socket.destroyed; n++) {
        const message = Buffer.from(`ping ${n} ${"x".repeat(48)}\n`);
        socket.write(message);
        while (pending.length < message.length && !socket.destroyed) {
          await new Promise<void>((r) => {
            waiter = r;
          });
          waiter = null;
        }
        if (socket.destroyed) break;
        if (!pending.subarray(0, message.length).equals(message)) fail("ping-pong: wrong reply");
        pending = pending.subarray(message.length);
        counters.roundTrips++;
        await Bun.sleep(5);
      }
      if (running) fail("ping-pong: connection closed by the server");
      socket.destroy();
    }
  }

  async function idle(): Promise<void> {
    while (running) {
      const socket = await connect().catch((e: Error) => fail(`idle connect: ${e.message}`));
      if (!socket) {
        await Bun.sleep(500);
        continue;
      }
      socket.on("error", () => {});
      await new Promise((r) => socket.once("close", r));
      if (running) counters.idleClosed++;
    }
  }

  let churnInFlight = 0;
  function churnOne(): void {
    if (!running || churnInFlight >= MAX_CHURN_IN_FLIGHT) return;
    churnInFlight++;
    const payload = randomBytes(1024);
    connect()
      .then(
        (socket) =>
          new Promise<void>((resolve) => {
            const parts: Buffer[] = [];
            socket.on("data", (d: Buffer) => parts.push(d));
            socket.on("error", () => {});
            socket.once("close", () => {
              if (!Buffer.concat(parts).equals(payload) && running) fail("churn: echo differs");
              else counters.churned++;
              resolve();
            });
            socket.end(payload);
          }),
      )
      .catch((e: Error) => fail(`churn connect: ${e.message}`))
      .finally(() => churnInFlight--);
  }

  function resetOne(): void {
    if (!running) return;
    connect()
      .then((socket) => {
        socket.on("error", () => {});
        socket.write(randomBytes(32 * 1024));
        setTimeout(() => {
          // resetAndDestroy() sends RST (echod counts it as peer_reset); destroy() would send FIN.
          socket.resetAndDestroy();
          counters.resets++;
        }, 5);
      })
      .catch((e: Error) => fail(`reset connect: ${e.message}`));
  }

  return {
    counters,
    async stop() {
      running = false;
      for (const t of timers) clearInterval(t);
      for (const s of open) s.destroy();
      await Promise.race([Promise.all(loops), Bun.sleep(5000)]);
      for (const s of open) s.destroy();
    },
  };
}
