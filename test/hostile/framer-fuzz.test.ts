/**
 * Fuzzing the framed echo path over real sockets: thousands of generated
 * byte streams (heavy in LFs, CRs and length headers, cut at random, some
 * over the maximum message size), sent to in-process servers with each
 * framing, with and without faults. Each client either half-closes and
 * checks that what came back is exactly what a reference model of the
 * framing says (whole frames up to the first over-size one, a last line
 * without LF at FIN), or goes away early with a reset. Afterwards: no
 * exception escaped, nothing is left buffered, the byte counters balance
 * (received = sent + discarded + buffered) and RSS stayed bounded.
 */
import { expect, test } from "bun:test";
import net from "node:net";
import fc from "fast-check";
import { resolveConfig } from "../../src/config.ts";
import { startEchoServer } from "../../src/echo/server.ts";
import { waitFor } from "../helpers/net-client.ts";

const MAX = 48;

interface Case {
  input: Uint8Array;
  cuts: number[];
  reset: boolean;
}

/** Bytes rich in what framers look at: LF, CR, zero bytes and small length headers. */
const streamBytes = fc
  .array(
    fc.oneof(
      fc.constantFrom(10, 13, 0),
      fc.integer({ min: 0, max: 255 }),
      fc.integer({ min: 0, max: MAX + 8 }).map((n) => [0, 0, 0, n]),
      // A run of plain bytes around the maximum line length.
      fc.integer({ min: MAX - 8, max: MAX + 8 }).map((n) => new Array<number>(n).fill(97)),
    ),
    { maxLength: 60, size: "large" },
  )
  .map((parts) => Uint8Array.from(parts.flat()));

const aCase: fc.Arbitrary<Case> = streamBytes.chain((input) =>
  fc.record({
    input: fc.constant(input),
    cuts: fc
      .uniqueArray(fc.integer({ min: 1, max: Math.max(1, input.length - 1) }), { maxLength: 12 })
      .map((a) => a.sort((x, y) => x - y)),
    reset: fc.boolean(),
  }),
);

/** What a line-framed echod sends back for `input` followed by FIN. */
function expectLine(input: Uint8Array): Uint8Array {
  let start = 0;
  for (let i = 0; i < input.length; i++) {
    if (input[i] !== 10) continue;
    const content = i - start - (i > start && input[i - 1] === 13 ? 1 : 0);
    if (content > MAX) return input.subarray(0, start);
    start = i + 1;
  }
  const tail = input.length - start;
  // A held partial line past the maximum is refused even before its LF.
  const tailContent = tail - (input[input.length - 1] === 13 ? 1 : 0);
  return tailContent > MAX ? input.subarray(0, start) : input;
}

/** What a length-prefixed echod sends back: whole frames up to the first over-size header. */
function expectLength(input: Uint8Array): Uint8Array {
  let at = 0;
  while (input.length - at >= 4) {
    const n = Buffer.from(input.buffer, input.byteOffset + at, 4).readUInt32BE(0);
    if (n > MAX) break;
    if (input.length - at < 4 + n) break;
    at += 4 + n;
  }
  return input.subarray(0, at);
}

/** Sends one case; resolves with what came back (null for a client that reset). */
function runCase(port: number, c: Case): Promise<Buffer | null> {
  return new Promise((resolveCase) => {
    const socket = net.connect(port, "127.0.0.1");
    const parts: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(), 5000);
    socket.on("data", (d: Buffer) => parts.push(d));
    socket.on("error", () => {});
    socket.on("close", () => {
      clearTimeout(timer);
      resolveCase(c.reset ? null : Buffer.concat(parts));
    });
    socket.on("connect", () => {
      socket.setNoDelay(true);
      let from = 0;
      for (const at of [...c.cuts, c.input.length]) {
        if (at > from) socket.write(c.input.subarray(from, at));
        from = at;
      }
      if (c.reset) setTimeout(() => socket.resetAndDestroy(), 1);
      else socket.end();
    });
  });
}

const CONFIGS = [
  { name: "line", options: { framing: "line" }, model: expectLine },
  { name: "length-prefixed", options: { framing: "length-prefixed" }, model: expectLength },
  {
    name: "line with --delay 1:2",
    options: { framing: "line", delay: "1:2", faultRate: 1 },
    model: expectLine,
  },
  {
    name: "length-prefixed with --slice 7",
    options: { framing: "length-prefixed", slice: 7, faultRate: 1 },
    model: expectLength,
  },
] as const;

for (const { name, options, model } of CONFIGS) {
  test(`${name}: 2,000 fuzzed streams, each echoed as the framing model says; counters balance, RSS bounded`, async () => {
    const server = startEchoServer(
      resolveConfig({
        port: 0,
        host: "127.0.0.1",
        metrics: false,
        maxMessageSize: MAX,
        ...options,
      }),
    );
    const rssBefore = process.memoryUsage.rss();
    let cases = 0;
    let checked = 0;
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(aCase, { minLength: 20, maxLength: 20 }), async (batch) => {
          const got = await Promise.all(batch.map((c) => runCase(server.port, c)));
          got.forEach((back, i) => {
            cases++;
            if (back === null) return;
            const c = batch[i] as Case;
            expect(Buffer.from(back).toString("hex")).toBe(
              Buffer.from(model(c.input)).toString("hex"),
            );
            checked++;
          });
        }),
        { numRuns: 100 },
      );
      expect(await waitFor(() => server.stats.active === 0, 5000)).toBe(true);
      const s = server.stats;
      const rssGrowth = process.memoryUsage.rss() - rssBefore;
      console.log(
        `${name}: ${cases} streams (${checked} checked against the model), received ${s.receivedBytes}, sent ${s.sentBytes}, discarded ${s.discardedBytes}, buffered ${s.bufferedBytes}, messages ${s.messages}, too large ${s.closed.message_too_large}, RSS ${(rssGrowth / 2 ** 20).toFixed(1)} MiB`,
      );
      expect(s.bufferedBytes).toBe(0);
      expect(s.receivedBytes).toBe(s.sentBytes + s.discardedBytes + s.bufferedBytes);
      expect(s.closed.message_too_large).toBeGreaterThan(0);
      // The whole test process (fast-check's cases too), so a sanity bound, not a tight one.
      expect(rssGrowth).toBeLessThan(160 * 2 ** 20);
    } finally {
      await server.stop(1);
    }
  }, 120_000);
}
