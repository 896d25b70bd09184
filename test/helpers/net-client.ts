/**
 * Test clients built on node:net, whose writes are buffered for us (unlike
 * Bun.connect's), so a test can focus on what the server sends back.
 */
import net from "node:net";

export { randomPayload, sha256 } from "./payload.ts";

export function connect(port: number, host = "127.0.0.1"): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host, allowHalfOpen: true });
    socket.once("connect", () => resolve(socket));
    socket.once("error", reject);
  });
}

export interface EchoResult {
  readonly received: Buffer;
  /** True if the server closed cleanly (FIN), false if the connection was reset. */
  readonly clean: boolean;
}

/**
 * Sends `payload` in slices of `chunk` bytes (the last one shorter), then
 * half-closes and collects everything until the server closes.
 */
export async function echoOnce(
  port: number,
  payload: Uint8Array,
  { chunk = 64 * 1024, host = "127.0.0.1" }: { chunk?: number; host?: string } = {},
): Promise<EchoResult> {
  const socket = await connect(port, host);
  const parts: Buffer[] = [];
  const done = new Promise<EchoResult>((resolve) => {
    let clean = true;
    socket.on("data", (d: Buffer) => parts.push(d));
    socket.on("error", () => {
      clean = false;
    });
    socket.on("close", () => resolve({ received: Buffer.concat(parts), clean }));
  });
  for (let offset = 0; offset < payload.length; offset += chunk) {
    const slice = payload.subarray(offset, Math.min(payload.length, offset + chunk));
    if (!socket.write(slice)) await new Promise((r) => socket.once("drain", r));
  }
  socket.end();
  return done;
}

/** Resolves once `socket` is closed by the other side (or errors). */
export function closed(socket: net.Socket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) resolve();
    socket.once("close", () => resolve());
  });
}

/** Polls `check` until it returns true or `ms` pass; returns the last result. */
export async function waitFor(check: () => boolean, ms = 5000, every = 10): Promise<boolean> {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    if (check()) return true;
    await Bun.sleep(every);
  }
  return check();
}

/** Resumes a paused `socket`, collects what arrives until the server's FIN, then destroys it. */
export async function readToEnd(socket: net.Socket): Promise<Buffer> {
  const parts: Buffer[] = [];
  socket.on("data", (d: Buffer) => parts.push(d));
  socket.on("error", () => {});
  socket.resume();
  await new Promise((r) => socket.once("end", r));
  socket.destroy();
  return Buffer.concat(parts);
}

export interface ExactReader {
  /** The next `length` bytes the socket receives, or null if it is destroyed first. */
  read(length: number): Promise<Buffer | null>;
}

/** Buffers what `socket` receives so a request/response client can take each echo whole. */
export function exactReader(socket: net.Socket): ExactReader {
  let pending = Buffer.alloc(0);
  let wake: (() => void) | null = null;
  socket.on("error", () => {});
  socket.on("data", (d: Buffer) => {
    pending = Buffer.concat([pending, d]);
    wake?.();
  });
  socket.once("close", () => wake?.());
  return {
    async read(length) {
      while (pending.length < length && !socket.destroyed) {
        await new Promise<void>((r) => {
          wake = r;
        });
      }
      if (socket.destroyed) return null;
      const head = pending.subarray(0, length);
      pending = pending.subarray(length);
      return head;
    },
  };
}

/**
 * Sends `request` to 127.0.0.1:`port` with `nc -N` (which half-closes once it
 * is sent), waits up to `waitS` seconds for the other side, and returns what came back.
 */
export async function ncExchange(port: number, request: string, waitS = 2): Promise<string> {
  const proc = Bun.spawn(["nc", "-N", "-w", String(waitS), "127.0.0.1", String(port)], {
    stdin: "pipe",
    stdout: "pipe",
    timeout: (waitS + 3) * 1000,
  });
  proc.stdin.write(request);
  await proc.stdin.end();
  const reply = await new Response(proc.stdout).text();
  await proc.exited;
  return reply;
}
