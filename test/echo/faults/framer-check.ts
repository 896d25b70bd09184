/**
 * What the framer tests share: feeding a framer its input cut anywhere, and
 * checking that each run holds exactly the frames its count says.
 */
import { expect } from "bun:test";
import fc from "fast-check";
import { createFrameBatch, type FrameBatch, type Framer } from "../../../src/echo/faults/framer.ts";
import { LineFramer } from "../../../src/echo/faults/line-framer.ts";

export const enc = new TextEncoder();
export const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

/** A run cut into its frames, independently of the framers: at each LF, or by each header. */
export function splitRun(run: Uint8Array, kind: Kind): Uint8Array[] {
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

export type Kind = "line" | "length-prefixed";
const kindOf = (framer: Framer): Kind =>
  framer instanceof LineFramer ? "line" : "length-prefixed";

/** Checks that each run holds exactly the frames its count says, then returns all frames. */
export function framesOf(batch: FrameBatch, kind: Kind): Uint8Array[] {
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
export function feed(framer: Framer, input: Uint8Array, cuts: number[]): string[] | "too_large" {
  const out = createFrameBatch();
  let from = 0;
  for (const at of [...cuts, input.length]) {
    if (!framer.push(input.slice(from, at), out)) return "too_large";
    from = at;
  }
  return framesOf(out, kindOf(framer)).map(hex);
}

/** One push into a fresh batch: the frames as text, or false when refused. */
export function pushText(framer: Framer, text: string | Uint8Array): string[] | false {
  const out = createFrameBatch();
  const bytes = typeof text === "string" ? enc.encode(text) : text;
  if (!framer.push(bytes, out)) return false;
  return framesOf(out, kindOf(framer)).map((f) => Buffer.from(f).toString("latin1"));
}

export const cutsOf = (length: number) =>
  fc
    .uniqueArray(fc.integer({ min: 0, max: length }), { maxLength: 40 })
    .map((a) => a.sort((x, y) => x - y));

/** Input plus a set of cut points inside it. */
export const splitInput = (bytes: fc.Arbitrary<Uint8Array>) =>
  bytes.chain((input) => fc.tuple(fc.constant(input), cutsOf(input.length)));
