/**
 * The line framer on its own: any split of the input yields the same lines,
 * a line never reaches past its LF, over-size lines are refused, and whole
 * lines come out in runs.
 */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { createFrameBatch } from "../../../src/echo/faults/framer.ts";
import { LineFramer } from "../../../src/echo/faults/line-framer.ts";
import { enc, feed, hex, pushText, splitInput } from "./framer-check.ts";

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
