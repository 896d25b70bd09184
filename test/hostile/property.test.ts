/**
 * Property-based tests (fast-check) of the echo engine against a real
 * in-process server: for any payload, any way of cutting it into writes, any
 * pauses between writes, any high-water mark, any delay before the client
 * starts reading and any moment of the half-close (right after the last
 * write, after a delay, or only once part of the echo is back), several
 * concurrent clients each get exactly their own bytes back and a clean FIN.
 * Runs are bounded (numRuns) and each run has a deadline, so a hang fails.
 * The framing parsers' property tests live with them (test/echo/faults/
 * line-framer.test.ts and length-prefixed-framer.test.ts).
 */
import { expect, test } from "bun:test";
import fc from "fast-check";
import { resolveConfig } from "../../src/config.ts";
import { startEchoServer } from "../../src/echo/server.ts";
import { connect, waitFor } from "../helpers/net-client.ts";

type HalfClose =
  | { kind: "immediate" }
  | { kind: "delay"; ms: number }
  | { kind: "afterEcho"; bytes: number };

interface ClientPlan {
  payload: Uint8Array;
  /** Write sizes, used in turn until the payload is sent. */
  chunks: number[];
  /** Milliseconds to wait after each of the first 40 writes, used in turn (0 = none). */
  pauses: number[];
  /** Milliseconds before the client starts reading. */
  readDelay: number;
  halfClose: HalfClose;
}

const halfClose: fc.Arbitrary<HalfClose> = fc.oneof(
  fc.constant({ kind: "immediate" as const }),
  fc.record({ kind: fc.constant("delay" as const), ms: fc.integer({ min: 0, max: 30 }) }),
  fc.record({
    kind: fc.constant("afterEcho" as const),
    bytes: fc.integer({ min: 0, max: 300_000 }),
  }),
);

const clientPlan: fc.Arbitrary<ClientPlan> = fc.record({
  // A length and a seed rather than fc.uint8Array, whose lengths fast-check keeps small by default.
  payload: fc
    .tuple(
      fc.oneof(fc.integer({ min: 0, max: 256 }), fc.integer({ min: 1, max: 300_000 })),
      fc.integer(),
    )
    .map(([length, seed]) => bytesFrom(seed, length)),
  chunks: fc.array(fc.oneof(fc.integer({ min: 1, max: 16 }), fc.integer({ min: 1, max: 20_000 })), {
    minLength: 1,
    maxLength: 8,
  }),
  pauses: fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 3 })), {
    minLength: 1,
    maxLength: 4,
  }),
  readDelay: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 50 })),
  halfClose,
});

/** `length` pseudo-random bytes from `seed` (xorshift32), so a failing case replays exactly. */
function bytesFrom(seed: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed | 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Runs one client by its plan; resolves with what came back and whether the close was clean. */
async function runClient(port: number, plan: ClientPlan): Promise<{ got: Buffer; clean: boolean }> {
  const socket = await connect(port);
  socket.setNoDelay(true);
  const parts: Buffer[] = [];
  let received = 0;
  let clean = true;
  socket.on("error", () => {
    clean = false;
  });
  socket.on("data", (d: Buffer) => {
    parts.push(d);
    received += d.length;
  });
  const closed = new Promise<void>((r) => socket.once("close", () => r()));
  if (plan.readDelay > 0) {
    socket.pause();
    setTimeout(() => socket.resume(), plan.readDelay);
  }
  const { payload } = plan;
  for (let offset = 0, i = 0; offset < payload.length; i++) {
    const n = plan.chunks[i % plan.chunks.length] as number;
    const slice = payload.subarray(offset, offset + n);
    offset += slice.length;
    if (!socket.write(slice)) await new Promise((r) => socket.once("drain", r));
    // Pauses only among the first 40 writes, so a run of tiny writes stays short.
    const pause = i < 40 ? (plan.pauses[i % plan.pauses.length] as number) : 0;
    if (pause > 0) await Bun.sleep(pause);
  }
  const hc = plan.halfClose;
  if (hc.kind === "delay") await Bun.sleep(hc.ms);
  if (hc.kind === "afterEcho") {
    await waitFor(() => received >= Math.min(hc.bytes, payload.length), 5000, 1);
  }
  socket.end();
  await closed;
  return { got: Buffer.concat(parts), clean };
}

test("any chunking, pacing, high-water mark and half-close timing echoes byte-exactly (150 runs of 1-4 clients)", async () => {
  let runs = 0;
  let bytes = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.array(clientPlan, { minLength: 1, maxLength: 4 }),
      fc.integer({ min: 1024, max: 128 * 1024 }),
      async (plans, maxBuffer) => {
        const server = startEchoServer(
          resolveConfig({ port: 0, host: "127.0.0.1", metrics: false, maxBuffer }),
        );
        try {
          const results = await Promise.race([
            Promise.all(plans.map((p) => runClient(server.port, p))),
            Bun.sleep(15_000).then(() => {
              throw new Error("a client did not finish within 15 s");
            }),
          ]);
          results.forEach(({ got, clean }, i) => {
            const payload = (plans[i] as ClientPlan).payload;
            expect(clean).toBe(true);
            expect(got.length).toBe(payload.length);
            expect(Buffer.compare(got, payload)).toBe(0);
          });
          const total = plans.reduce((n, p) => n + p.payload.length, 0);
          expect(await waitFor(() => server.stats.active === 0, 2000)).toBe(true);
          expect(server.stats.receivedBytes).toBe(total);
          expect(server.stats.sentBytes).toBe(total);
          expect(server.stats.bufferedBytes).toBe(0);
          expect(server.stats.closed.peer_closed).toBe(plans.length);
          runs++;
          bytes += total;
        } finally {
          await server.stop(1);
        }
      },
    ),
    { numRuns: 150 },
  );
  console.log(`property: ${runs} runs, ${(bytes / 2 ** 20).toFixed(1)} MiB echoed byte-exactly`);
}, 120_000);
