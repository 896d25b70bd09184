/**
 * Latency histograms: merging worker histograms gives exactly the
 * percentiles of one histogram fed every value, encoding for the trip
 * between threads loses nothing, and figures come out in milliseconds.
 */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import {
  createHistogram,
  decodeHistogram,
  encodeHistogram,
  mergeHistograms,
  recordMs,
  summarize,
} from "../../../bench/harness/histogram.ts";

describe("histogram merging", () => {
  test("merged percentiles equal those of one histogram fed all values", () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.double({ min: 0, max: 5000, noNaN: true }), { maxLength: 400 }), {
          minLength: 1,
          maxLength: 6,
        }),
        (parts) => {
          const all = createHistogram();
          const histograms = parts.map((values) => {
            const h = createHistogram();
            for (const v of values) {
              recordMs(h, v);
              recordMs(all, v);
            }
            return decodeHistogram(encodeHistogram(h));
          });
          expect(summarize(mergeHistograms(histograms))).toEqual(summarize(all));
        },
      ),
      { numRuns: 600 },
    );
  });

  test("averaging percentiles would be wrong: a slow worker's tail survives the merge", () => {
    const fast = createHistogram();
    const slow = createHistogram();
    for (let i = 0; i < 990; i++) recordMs(fast, 1);
    for (let i = 0; i < 10; i++) recordMs(slow, 500);
    const merged = summarize(mergeHistograms([fast, slow]));
    // 1% of all values are 500 ms: p99.9 shows them; the mean of the two p50s (250.5) would not be a p50 at all.
    expect(merged.p50).toBe(1);
    expect(merged.p99_9).toBeGreaterThanOrEqual(499);
    expect(merged.samples).toBe(1000);
  });

  test("values are recorded in microseconds and reported in milliseconds", () => {
    const h = createHistogram();
    recordMs(h, 0.25, 3);
    recordMs(h, 0); // a zero reading still counts, as 1 µs
    const s = summarize(h);
    expect(s.samples).toBe(4);
    expect(s.max).toBeCloseTo(0.25, 3);
    expect(s.min).toBe(0.001);
  });

  test("recordMs's fast path fills the histogram exactly as hdr-histogram-js's own recording", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.oneof(
              fc.double({ min: 0, max: 10, noNaN: true }),
              fc.double({ min: 0, max: 60_000, noNaN: true }),
              fc.constantFrom(0, 0.0004, 0.0005, 1.023, 1.024, 2.047, 2.048, 1_000_000),
            ),
            fc.integer({ min: 1, max: 1000 }),
          ),
          { maxLength: 300 },
        ),
        (records) => {
          const fast = createHistogram();
          const hdr = createHistogram();
          for (const [ms, count] of records) {
            recordMs(fast, ms, count);
            hdr.recordValueWithCount(Math.max(Math.round(ms * 1000), 1), count);
          }
          expect(fast.totalCount).toBe(hdr.totalCount);
          expect(fast.maxValue).toBe(hdr.maxValue);
          expect(fast.minNonZeroValue).toBe(hdr.minNonZeroValue);
          expect(encodeHistogram(fast)).toBe(encodeHistogram(hdr));
          expect(summarize(fast)).toEqual(summarize(hdr));
        },
      ),
      { numRuns: 500 },
    );
  });

  test("an empty histogram summarizes to zeros, not NaN", () => {
    expect(Object.values(summarize(createHistogram())).every((v) => v === 0)).toBe(true);
  });
});
