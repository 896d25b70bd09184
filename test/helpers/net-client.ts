/**
 * Test clients built on node:net, whose writes are buffered for us (unlike
 * Bun.connect's), so a test can focus on what the server sends back.
 */
import { createHash, randomBytes } from "node:crypto";
import net from "node:net";

export function sha256(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

export function randomPayload(size: number): Buffer {
  return randomBytes(size);
}

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
