/**
 * The length-prefixed framer on its own: frames survive any split and
 * coalescing, over-size messages are refused, arbitrary bytes never make it
 * throw, and whole frames come out in runs.
 */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { createFrameBatch } from "../../../src/echo/faults/framer.ts";
import {
  encodeLengthPrefixed,
  LengthPrefixFramer,
} from "../../../src/echo/faults/length-prefixed-framer.ts";
import { cutsOf, feed, framesOf, hex, pushText, splitInput } from "./framer-check.ts";

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
