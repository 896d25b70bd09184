/**
 * Tools for the hostile suite: byte-verified streaming clients, readers of a
 * child's /proc entries, a scrape reader and percentiles. Everything is
 * bounded: streams stop when told to, loops have a count.
 */
import { randomBytes } from "node:crypto";
import type net from "node:net";
import { openFds, cpuSeconds as readCpuSeconds, rssBytes } from "../../bench/common/proc.ts";
import { sumSamples } from "../../bench/common/prom-text.ts";
import { connect } from "../helpers/net-client.ts";
import { parseSamples, scrape } from "../helpers/prom-text.ts";

export { openFds, rssBytes };

/** CPU seconds (user + system) a process has used, from /proc/PID/stat; throws when the process is gone. */
export function cpuSeconds(pid: number): number {
  const seconds = readCpuSeconds(pid);
  if (seconds === null) throw new Error(`no CPU times for pid ${pid}`);
  return seconds;
}

export async function metrics(adminPort: number): Promise<Map<string, number>> {
  return parseSamples(await (await scrape(adminPort)).text());
}

/** The sum of every sample of `name` whose labels include all of `labels` (NaN when none). */
export const total = sumSamples;

/** The value at fraction `p` (0..1) of the sorted values (nearest rank). */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? NaN;
}

export const fmt = (ms: number) => `${ms.toFixed(1)} ms`;

export interface Stream {
  /** Bytes written so far and bytes echoed back and verified. */
  readonly sent: () => number;
  readonly received: () => number;
  /** Set when an echoed byte differed from what was sent at that offset. */
  readonly mismatch: () => string | null;
  readonly closedEarly: () => boolean;
  /** The client's port, as echod logs it in `remote` (read at connect: it is gone after close). */
  readonly localPort: number;
  /** Resolves when the socket has closed. */
  readonly closed: Promise<void>;
  /** Stops writing, half-closes and resolves once every byte came back (or the socket closed). */
  finish(): Promise<void>;
  readonly socket: net.Socket;
}

/**
 * A client that writes a repeating random block as fast as the server takes
 * it and checks each echoed byte against the block at the same offset (so
 * what comes back must be an exact prefix of what was sent). When the server
 * sends its FIN, it stops writing and closes its side too.
 */
export async function startStream(port: number, blockSize = 64 * 1024): Promise<Stream> {
  const socket = await connect(port);
  const block = randomBytes(blockSize);
  let sent = 0;
  let received = 0;
  let mismatch: string | null = null;
  let writing = true;
  let finished = false;
  socket.on("error", () => {});
  socket.on("data", (d: Buffer) => {
    for (let at = 0; at < d.length; ) {
      const offset = (received + at) % block.length;
      const n = Math.min(d.length - at, block.length - offset);
      if (mismatch === null && d.compare(block, offset, offset + n, at, at + n) !== 0) {
        mismatch = `byte mismatch in ${offset + n}-byte window at offset ${received + at}`;
      }
      at += n;
    }
    received += d.length;
  });
  const gone = new Promise<void>((r) => socket.once("close", () => r()));
  // A well-behaved client: when the server sends its FIN (shutdown), stop writing and close too.
  socket.once("end", () => {
    writing = false;
    socket.end();
  });
  const writer = (async () => {
    while (writing && !socket.destroyed) {
      if (!socket.write(block))
        await Promise.race([new Promise((r) => socket.once("drain", r)), gone]);
      sent += block.length;
    }
  })();
  return {
    sent: () => sent,
    received: () => received,
    mismatch: () => mismatch,
    closedEarly: () => socket.destroyed && !finished,
    closed: gone,
    localPort: socket.localPort as number,
    socket,
    async finish() {
      finished = true;
      writing = false;
      await writer;
      socket.end();
      await gone;
    },
  };
}

export interface Exchange {
  /** Everything the server sent back. */
  readonly received: Buffer;
  /** How it ended: the server's FIN, a reset (or other socket error), or still open at the deadline. */
  readonly ending: "fin" | "reset" | "open";
  /** The client's port, as echod logs it in `remote`. */
  readonly localPort: number;
}

/**
 * One raw conversation: writes each of `writes` in turn, `pauseMs` apart,
 * half-closes if `end` is set, and collects what comes back until the
 * server closes or `timeoutMs` passes (then the socket is destroyed).
 */
export async function exchange(
  port: number,
  writes: readonly Uint8Array[],
  {
    pauseMs = 0,
    end = false,
    timeoutMs = 5000,
  }: { pauseMs?: number; end?: boolean; timeoutMs?: number } = {},
): Promise<Exchange> {
  const socket = await connect(port);
  const localPort = socket.localPort as number;
  const parts: Buffer[] = [];
  let ending: Exchange["ending"] = "open";
  socket.on("data", (d: Buffer) => parts.push(d));
  socket.on("error", () => {
    ending = "reset";
  });
  socket.once("end", () => {
    ending = "fin";
    socket.end();
  });
  const gone = new Promise<void>((r) => socket.once("close", () => r()));
  for (const [i, w] of writes.entries()) {
    if (socket.destroyed || ending !== "open") break;
    if (i > 0 && pauseMs > 0) await Bun.sleep(pauseMs);
    if (!socket.write(w)) await Promise.race([new Promise((r) => socket.once("drain", r)), gone]);
  }
  if (end && !socket.destroyed) socket.end();
  const timer = setTimeout(() => socket.destroy(), timeoutMs);
  await gone;
  clearTimeout(timer);
  return { received: Buffer.concat(parts), ending, localPort };
}
