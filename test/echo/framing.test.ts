/**
 * The framing parsers on their own: any split or coalescing of the input
 * yields the same frames, frames never reach past their boundary, over-size
 * messages are refused, and arbitrary bytes never make a parser throw.
 */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import {
  encodeLengthPrefixed,
  type Framer,
  LengthPrefixFramer,
  LineFramer,
} from "../../src/echo/framing.ts";

const enc = new TextEncoder();
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

/** Feeds `input` cut at `cuts` (sorted offsets) and returns the frames, or "too_large". */
function feed(framer: Framer, input: Uint8Array, cuts: number[]): string[] | "too_large" {
  const out: Uint8Array[] = [];
  let from = 0;
  for (const at of [...cuts, input.length]) {
    if (!framer.push(input.slice(from, at), out)) return "too_large";
    from = at;
  }
  return out.map(hex);
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
    const out: Uint8Array[] = [];
    expect(framer.push(enc.encode("one\ntwo\r"), out)).toBe(true);
    expect(framer.push(enc.encode("\nthr"), out)).toBe(true);
    expect(out.map((b) => Buffer.from(b).toString())).toEqual(["one\n", "two\r\n"]);
    expect(Buffer.from(framer.end() as Uint8Array).toString()).toBe("thr");
    expect(framer.end()).toBeNull();
  });

  test("a line longer than the maximum is refused, terminator not counted", () => {
    const out: Uint8Array[] = [];
    expect(new LineFramer(5).push(enc.encode("12345\r\n"), out)).toBe(true);
    expect(new LineFramer(5).push(enc.encode("123456\n"), [])).toBe(false);
    // Without any newline the framer refuses as soon as it holds more than the maximum.
    const held = new LineFramer(5);
    expect(held.push(enc.encode("12345"), [])).toBe(true);
    expect(held.push(enc.encode("\r"), [])).toBe(true);
    expect(held.push(enc.encode("x"), [])).toBe(false);
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
    expect(new LengthPrefixFramer(1024).push(header, [])).toBe(false);
    expect(new LengthPrefixFramer(1025).push(header, [])).toBe(true);
    // Also when the header itself arrives a byte at a time.
    const slow = new LengthPrefixFramer(1024);
    expect(slow.push(header.subarray(0, 2), [])).toBe(true);
    expect(slow.push(header.subarray(2, 3), [])).toBe(true);
    expect(slow.push(header.subarray(3), [])).toBe(false);
    // 0xFFFFFFFF must not turn negative.
    expect(new LengthPrefixFramer(1024).push(new Uint8Array([255, 255, 255, 255]), [])).toBe(false);
  });

  test("an incomplete frame at end of input is dropped, a zero-length frame is a frame", () => {
    const framer = new LengthPrefixFramer(10);
    const out: Uint8Array[] = [];
    framer.push(new Uint8Array([0, 0, 0, 0, 0, 0, 0, 3, 1]), out);
    expect(out.map(hex)).toEqual(["00000000"]);
    expect(framer.buffered).toBe(5);
    expect(framer.end()).toBeNull();
    expect(framer.buffered).toBe(0);
  });
});
