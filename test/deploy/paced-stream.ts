/**
 * A client that streams a fixed payload at a steady pace (so that a stop can
 * land in the middle of it), checks that what comes back is an exact prefix
 * of what it sent, and records how the server ended the connection: a FIN
 * before any error, or a reset. On the server's FIN it stops writing and
 * closes its own side, as a well-behaved client does. At `holdAt` bytes it
 * stops writing until that FIN, so that on a slow machine the payload cannot
 * run out before a stop that the test has started lands.
 */
import { randomBytes } from "node:crypto";
import { connect } from "../helpers/net-client.ts";

export interface PacedStream {
  readonly total: number;
  readonly sent: () => number;
  readonly received: () => number;
  /** The first offset where the echo differed from the payload, or null. */
  readonly mismatch: () => number | null;
  /** True once the writer reached `holdAt` and waits for the server's FIN. */
  readonly holding: () => boolean;
  /** "fin": the server's FIN came before any socket error; "reset" otherwise. */
  readonly ended: Promise<"fin" | "reset">;
  readonly closed: Promise<void>;
}

export async function startPacedStream(
  port: number,
  { total = 32 * 2 ** 20, holdAt = 16 * 2 ** 20, chunk = 64 * 1024, everyMs = 10 } = {},
): Promise<PacedStream> {
  const payload = randomBytes(total);
  const socket = await connect(port);
  let sent = 0;
  let received = 0;
  let mismatch: number | null = null;
  let writing = true;
  let holding = false;
  const ended = new Promise<"fin" | "reset">((resolve) => {
    socket.once("end", () => resolve("fin"));
    socket.once("error", () => resolve("reset"));
  });
  socket.on("error", () => {});
  socket.on("end", () => {
    writing = false;
    socket.end();
  });
  socket.on("data", (d: Buffer) => {
    if (mismatch === null) {
      const expected = payload.subarray(received, received + d.length);
      if (expected.length !== d.length || !expected.equals(d)) mismatch = received;
    }
    received += d.length;
  });
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  void (async () => {
    while (writing && sent < total && !socket.destroyed) {
      const slice = payload.subarray(sent, Math.min(total, sent + chunk));
      sent += slice.length;
      if (!socket.write(slice)) {
        await Promise.race([new Promise((r) => socket.once("drain", r)), closed]);
      }
      await Bun.sleep(everyMs);
      if (sent >= holdAt && writing) {
        holding = true;
        await Promise.race([ended, closed]);
      }
    }
    if (writing && !socket.destroyed) socket.end(); // all sent: half-close, the echo follows
  })();
  return {
    total,
    sent: () => sent,
    received: () => received,
    mismatch: () => mismatch,
    holding: () => holding,
    ended,
    closed,
  };
}
