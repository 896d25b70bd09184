/**
 * The payload cycle makes corruption visible: any flipped byte, any shift by
 * a message, and any crossing of two connections' streams fails the check.
 */
import { describe, expect, test } from "bun:test";
import { createPattern, matches, startOffset } from "../../../bench/harness/payload.ts";

describe("payload cycle", () => {
  test("holds whole messages, each stamped with its sequence number", () => {
    const p = createPattern(64);
    expect(p.bytes.length).toBe(p.size * p.count);
    expect(p.bytes.readUInt32BE(0)).toBe(0);
    expect(p.bytes.readUInt32BE(64 * 7)).toBe(7);
  });

  test("a flipped byte anywhere in a message fails the check", () => {
    const p = createPattern(4096);
    const at = startOffset(p, 3);
    for (const i of [0, 1, 4, 2000, 4095]) {
      const echo = Buffer.from(p.bytes.subarray(at, at + 4096));
      expect(matches(p, at, echo, 0, 4096)).toBe(true);
      echo[i] = (echo[i] as number) ^ 0x01;
      expect(matches(p, at, echo, 0, 4096)).toBe(false);
    }
  });

  test("a flipped byte is caught in part of a chunk as in a whole one", () => {
    const p = createPattern(64);
    const at = startOffset(p, 5);
    const chunk = Buffer.concat([
      Buffer.from("xx"),
      p.bytes.subarray(at, at + 640),
      Buffer.from("y"),
    ]);
    expect(matches(p, at, chunk, 2, 640)).toBe(true);
    expect(matches(p, at, chunk.subarray(2, 642), 0, 640)).toBe(true);
    for (const i of [2, 300, 641]) {
      const bad = Buffer.from(chunk);
      bad[i] = (bad[i] as number) ^ 0x80;
      expect(matches(p, at, bad, 2, 640)).toBe(false);
      expect(matches(p, at, bad.subarray(2, 642), 0, 640)).toBe(false);
    }
  });

  test("an echo shifted by one message, or from another connection, fails the check", () => {
    const p = createPattern(64);
    const a = startOffset(p, 0);
    const b = startOffset(p, 1);
    expect(a).not.toBe(b);
    expect(matches(p, a, p.bytes.subarray(a + 64, a + 128), 0, 64)).toBe(false);
    expect(matches(p, a, p.bytes.subarray(b, b + 64), 0, 64)).toBe(false);
  });

  test("messages of one byte still differ along the cycle", () => {
    const p = createPattern(1);
    const distinct = new Set(p.bytes.subarray(0, 1024));
    expect(distinct.size).toBeGreaterThan(1);
  });
});
