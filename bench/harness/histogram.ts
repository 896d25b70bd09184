/**
 * Latency histograms: HDR histograms in microseconds (3 significant digits),
 * encoded to move between worker threads and merged bucket by bucket, so the
 * merged percentiles are those of one histogram fed every value. Percentiles
 * are never averaged.
 */
import * as hdr from "hdr-histogram-js";

export type Histogram = hdr.Histogram;

/** The latency figures of a report, in milliseconds. */
export interface LatencySummary {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p99_9: number;
  readonly max: number;
  readonly min: number;
  readonly mean: number;
  readonly stdev: number;
  /** Values recorded. */
  readonly samples: number;
}

export function createHistogram(): Histogram {
  return hdr.build({
    bitBucketSize: 32,
    lowestDiscernibleValue: 1,
    highestTrackableValue: 60_000_000,
    numberOfSignificantValueDigits: 3,
    autoResize: true,
    useWebAssembly: false,
  });
}

/** The fields of hdr-histogram-js 3.0.1's JsHistogram that `recordMs` reads and writes (not in its types). */
interface Internals {
  readonly _counts: { [index: number]: number };
  _totalCount: number;
  readonly countsArrayLength: number;
  readonly subBucketHalfCountMagnitude: number;
  readonly subBucketHalfCount: number;
  readonly unitMagnitude: number;
  readonly maxValue: number;
  readonly minNonZeroValue: number;
  updatedMaxValue(value: number): void;
  updateMinNonZeroValue(value: number): void;
}

/**
 * Records `ms` milliseconds `count` times (at least 1 µs, so a zero reading is
 * still counted). This is the harness's per-read path: the bucket index comes
 * from `Math.clz32`, where hdr-histogram-js's own `recordValueWithCount` uses
 * `Math.log2`, `Math.pow` and five calls. Values past the counts array (which
 * then grows) take hdr's own path; a test checks that both give the same
 * histogram.
 */
export function recordMs(histogram: Histogram, ms: number, count = 1): void {
  const us = Math.max(Math.round(ms * 1000), 1);
  const h = histogram as unknown as Internals;
  const unit = h.unitMagnitude;
  const bucket = Math.max(31 - Math.clz32(us) - h.subBucketHalfCountMagnitude - unit, 0);
  const index =
    ((bucket + 1) << h.subBucketHalfCountMagnitude) +
    (us >>> (bucket + unit)) -
    h.subBucketHalfCount;
  if (us >= 0x80000000 || index >= h.countsArrayLength) {
    histogram.recordValueWithCount(us, count);
    return;
  }
  h._counts[index] = (h._counts[index] as number) + count;
  h._totalCount += count;
  if (us > h.maxValue) h.updatedMaxValue(us);
  if (us < h.minNonZeroValue) h.updateMinNonZeroValue(us);
}

export function encodeHistogram(histogram: Histogram): string {
  return hdr.encodeIntoCompressedBase64(histogram);
}

export function decodeHistogram(encoded: string): Histogram {
  return hdr.decodeFromCompressedBase64(encoded, 32, false);
}

/** A new histogram holding every value of `parts`. */
export function mergeHistograms(parts: readonly Histogram[]): Histogram {
  const merged = createHistogram();
  for (const part of parts) merged.add(part);
  return merged;
}

const round3 = (us: number): number => Math.round(us) / 1000;

/** hdr-histogram-js has this on every histogram, though its types do not declare it. */
function lowestEquivalent(histogram: Histogram, value: number): number {
  return (
    histogram as Histogram & { lowestEquivalentValue(v: number): number }
  ).lowestEquivalentValue(value);
}

export function summarize(histogram: Histogram): LatencySummary {
  const n = histogram.totalCount;
  if (n === 0)
    return { p50: 0, p90: 0, p99: 0, p99_9: 0, max: 0, min: 0, mean: 0, stdev: 0, samples: 0 };
  return {
    p50: round3(histogram.getValueAtPercentile(50)),
    p90: round3(histogram.getValueAtPercentile(90)),
    p99: round3(histogram.getValueAtPercentile(99)),
    p99_9: round3(histogram.getValueAtPercentile(99.9)),
    // The bucket's top, as for the percentiles: a raw max would differ between a merged histogram and one fed every value.
    max: round3(histogram.getValueAtPercentile(100)),
    // Likewise the bottom of the lowest bucket: a decoded histogram keeps buckets, not raw values.
    min: round3(lowestEquivalent(histogram, histogram.minNonZeroValue)),
    mean: round3(histogram.mean),
    stdev: round3(histogram.stdDeviation),
    samples: n,
  };
}
