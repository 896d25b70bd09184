/**
 * The framing parsers on their own: any split or coalescing of the input
 * yields the same frames, frames never reach past their boundary, over-size
 * messages are refused, arbitrary bytes never make a parser throw, and whole
 * frames come out in runs (each run holds exactly the frames it counts).
 */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import {
  createFrameBatch,
  encodeLengthPrefixed,
  type FrameBatch,
  type Framer,
  LengthPrefixFramer,
  LineFramer,
} from "../../src/echo/framing.ts";

const enc = new TextEncoder();
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

/** A run cut into its frames, independently of the framers: at each LF, or by each header. */
function splitRun(run: Uint8Array, kind: Kind): Uint8Array[] {
  const frames: Uint8Array[] = [];
  if (kind === "line") {
    let start = 0;
    for (let i = 0; i < run.length; i++) {
      if (run[i] === 10) {
        frames.push(run.subarray(start, i + 1));
        start = i + 1;
      }
    }
    return frames;
  }
  let at = 0;
  while (at < run.length) {
    const n = Buffer.from(run.buffer, run.byteOffset + at, 4).readUInt32BE(0);
    frames.push(run.subarray(at, at + 4 + n));
    at += 4 + n;
  }
  return frames;
}

type Kind = "line" | "length-prefixed";
const kindOf = (framer: Framer): Kind =>
  framer instanceof LineFramer ? "line" : "length-prefixed";

/** Checks that each run holds exactly the frames its count says, then returns all frames. */
function framesOf(batch: FrameBatch, kind: Kind): Uint8Array[] {
  expect(batch.counts.length).toBe(batch.runs.length);
  const frames: Uint8Array[] = [];
  let bytes = 0;
  batch.runs.forEach((run, i) => {
    const inRun = splitRun(run, kind);
    expect(inRun.length).toBe(batch.counts[i] as number);
    frames.push(...inRun);
    bytes += run.length;
  });
  expect(batch.messages).toBe(frames.length);
  expect(batch.bytes).toBe(bytes);
  return frames;
}

/** Feeds `input` cut at `cuts` (sorted offsets) and returns the frames, or "too_large". */
function feed(framer: Framer, input: Uint8Array, cuts: number[]): string[] | "too_large" {
  const out = createFrameBatch();
  let from = 0;
  for (const at of [...cuts, input.length]) {
    if (!framer.push(input.slice(from, at), out)) return "too_large";
    from = at;
  }
  return framesOf(out, kindOf(framer)).map(hex);
}

/** One push into a fresh batch: the frames as text, or false when refused. */
function pushText(framer: Framer, text: string | Uint8Array): string[] | false {
  const out = createFrameBatch();
  const bytes = typeof text === "string" ? enc.encode(text) : text;
  if (!framer.push(bytes, out)) return false;
  return framesOf(out, kindOf(framer)).map((f) => Buffer.from(f).toString("latin1"));
}

const cutsOf = (length: number) =>
  fc
    .uniqueArray(fc.integer({ min: 0, max: length }), { maxLength: 40 })
    .map((a) => a.sort((x, y) => x - y));

/** Input plus a set of cut points inside it. */
const splitInput = (bytes: fc.Arbitrary<Uint8Array>) =>
  bytes.chain((input) => fc.tuple(fc.constant(input), cutsOf(input.length)));

// Mostly printable bytes with plenty of CR and LF, so lines are short and many.
const lineBytes = fc
  .array(fc.oneof(fc.constantFrom(10, 13), fc.integer({ min: 0, max: 255 })), { maxLength: 600 })
  .map((a) => Uint8Array.from(a));

describe("line framing", () => {
  test("any split of the input yields the same frames as one push", () => {
    fc.assert(
      fc.property(splitInput(lineBytes), fc.integer({ min: 1, max: 64 }), ([input, cuts], max) => {
        expect(feed(new LineFramer(max), input, cuts)).toEqual(
          feed(new LineFramer(max), input, []),
        );
      }),
      { numRuns: 500 },
    );
  });

  test("frames are the input's lines, each ending at its LF, and the rest is held", () => {
    fc.assert(
      fc.property(splitInput(lineBytes), ([input, cuts]) => {
        const framer = new LineFramer(1 << 20);
        const frames = feed(framer, input, cuts);
        expect(frames).not.toBe("too_large");
        const joined = (frames as string[]).join("");
        const lastLf = input.lastIndexOf(10);
        expect(joined).toBe(hex(input.subarray(0, lastLf + 1)));
        for (const f of frames as string[]) {
          expect(f.endsWith("0a")).toBe(true);
          expect(Buffer.from(f, "hex").indexOf(10)).toBe(f.length / 2 - 1);
        }
        expect(framer.buffered).toBe(input.length - (lastLf + 1));
      }),
      { numRuns: 500 },
    );
  });

  test("LF and CRLF lines come back with their terminators; a last line without one comes at end", () => {
    const framer = new LineFramer(100);
    expect(pushText(framer, "one\ntwo\r")).toEqual(["one\n"]);
    expect(pushText(framer, "\nthr")).toEqual(["two\r\n"]);
    expect(Buffer.from(framer.end() as Uint8Array).toString()).toBe("thr");
    expect(framer.end()).toBeNull();
  });

  test("a line longer than the maximum is refused, terminator not counted", () => {
    expect(pushText(new LineFramer(5), "12345\r\n")).toEqual(["12345\r\n"]);
    expect(pushText(new LineFramer(5), "123456\n")).toBe(false);
    // Without any newline the framer refuses as soon as it holds more than the maximum.
    const held = new LineFramer(5);
    expect(pushText(held, "12345")).toEqual([]);
    expect(pushText(held, "\r")).toEqual([]);
    expect(pushText(held, "x")).toBe(false);
  });

  test("the lines before an over-size one still come out, in one run", () => {
    const out = createFrameBatch();
    expect(new LineFramer(3).push(enc.encode("a\nbc\nabcd\nz\n"), out)).toBe(false);
    expect(out.runs.map((r) => Buffer.from(r).toString())).toEqual(["a\nbc\n"]);
    expect(out.counts).toEqual([2]);
  });

  test("ten thousand empty lines in one chunk are one run of ten thousand messages", () => {
    const out = createFrameBatch();
    expect(new LineFramer(10).push(new Uint8Array(10_000).fill(10), out)).toBe(true);
    expect(out.runs.length).toBe(1);
    expect(out.messages).toBe(10_000);
    expect(out.bytes).toBe(10_000);
  });

  test("a line trickled one byte per push is held as bytes, not as one piece per push", () => {
    const framer = new LineFramer(1 << 20);
    const out = createFrameBatch();
    for (let i = 0; i < 100_000; i++) framer.push(Uint8Array.of(97), out);
    expect(framer.buffered).toBe(100_000);
    expect(out.runs.length).toBe(0);
    framer.push(Uint8Array.of(10), out);
    expect(out.runs.length).toBe(1);
    expect(out.bytes).toBe(100_001);
    expect(framer.buffered).toBe(0);
  });

  test("the maximum holds whatever the split: too large in one push is too large in pieces", () => {
    fc.assert(
      fc.property(splitInput(lineBytes), fc.integer({ min: 1, max: 40 }), ([input, cuts], max) => {
        const whole = feed(new LineFramer(max), input, []);
        const pieces = feed(new LineFramer(max), input, cuts);
        expect(pieces === "too_large").toBe(whole === "too_large");
      }),
      { numRuns: 500 },
    );
  });
});

const payloads = fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 12 });

describe("length-prefixed framing", () => {
  test("frames survive any split and coalescing, header and payload intact", () => {
    fc.assert(
      fc.property(
        payloads.chain((ps) => {
          const input = Buffer.concat(ps.map(encodeLengthPrefixed));
          return fc.tuple(
            fc.constant(ps),
            fc.constant(new Uint8Array(input)),
            cutsOf(input.length),
          );
        }),
        ([ps, input, cuts]) => {
          const framer = new LengthPrefixFramer(1 << 20);
          expect(feed(framer, input, cuts)).toEqual(ps.map((p) => hex(encodeLengthPrefixed(p))));
          expect(framer.buffered).toBe(0);
        },
      ),
      { numRuns: 500 },
    );
  });

  test("on arbitrary bytes it never throws and frames are a prefix of the input", () => {
    fc.assert(
      fc.property(
        splitInput(fc.uint8Array({ maxLength: 400 })),
        fc.integer({ min: 0, max: 300 }),
        ([input, cuts], max) => {
          const framer = new LengthPrefixFramer(max);
          const frames = feed(framer, input, cuts);
          if (frames === "too_large") return;
          const joined = frames.join("");
          expect(hex(input).startsWith(joined)).toBe(true);
          expect(joined.length / 2 + framer.buffered).toBe(input.length);
          for (const f of frames) {
            const b = Buffer.from(f, "hex");
            expect(b.readUInt32BE(0)).toBe(b.length - 4);
            expect(b.length - 4).toBeLessThanOrEqual(max);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  test("a header announcing more than the maximum is refused before the payload arrives", () => {
    const header = new Uint8Array([0, 0, 4, 1]); // 1025 bytes
    expect(pushText(new LengthPrefixFramer(1024), header)).toBe(false);
    expect(pushText(new LengthPrefixFramer(1025), header)).toEqual([]);
    // Also when the header itself arrives a byte at a time.
    const slow = new LengthPrefixFramer(1024);
    expect(pushText(slow, header.subarray(0, 2))).toEqual([]);
    expect(pushText(slow, header.subarray(2, 3))).toEqual([]);
    expect(pushText(slow, header.subarray(3))).toBe(false);
    // 0xFFFFFFFF must not turn negative.
    expect(pushText(new LengthPrefixFramer(1024), new Uint8Array([255, 255, 255, 255]))).toBe(
      false,
    );
  });

  test("a large header then a one-byte trickle is held as bytes, up to the frame's size", () => {
    const framer = new LengthPrefixFramer(1 << 20);
    const out = createFrameBatch();
    framer.push(new Uint8Array([0, 0, 0x80, 0]), out); // 32 KiB announced
    for (let i = 0; i < 32 * 1024 - 1; i++) framer.push(Uint8Array.of(i & 255), out);
    expect(framer.buffered).toBe(32 * 1024 + 3);
    expect(out.runs.length).toBe(0);
    framer.push(Uint8Array.of(1, 0, 0, 0), out);
    expect(out.runs.length).toBe(1);
    expect(out.bytes).toBe(32 * 1024 + 4);
    expect(framer.buffered).toBe(3);
  });

  test("an incomplete frame at end of input is dropped, a zero-length frame is a frame", () => {
    const framer = new LengthPrefixFramer(10);
    const out = createFrameBatch();
    framer.push(new Uint8Array([0, 0, 0, 0, 0, 0, 0, 3, 1]), out);
    expect(framesOf(out, "length-prefixed").map(hex)).toEqual(["00000000"]);
    expect(framer.buffered).toBe(5);
    expect(framer.end()).toBeNull();
    expect(framer.buffered).toBe(0);
  });
});
