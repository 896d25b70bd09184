/**
 * Thresholds as pure functions: the grammar (a malformed expression is a
 * usage error naming it), the units, judging a report, the exit code, and
 * which thresholds --abort-on-fail may give up on mid-run.
 */
import { describe, expect, test } from "bun:test";
import { createErrorCounts } from "../../../bench/harness/errors.ts";
import type { LatencySummary } from "../../../bench/harness/histogram.ts";
import {
  exitCode,
  hopeless,
  type Measured,
  parseThreshold,
  THRESHOLD_EXIT_CODE,
  verdict,
} from "../../../bench/harness/thresholds.ts";
import { EchodError } from "../../../src/errors.ts";

const latency = (ms: number): LatencySummary => ({
  p50: ms / 4,
  p90: ms / 2,
  p99: ms,
  p99_9: ms * 2,
  max: ms * 3,
  min: 0.001,
  mean: ms / 3,
  stdev: 1,
  samples: 100,
});

function measured(over: Partial<Measured> = {}): Measured {
  return {
    latency: latency(4),
    connectLatency: null,
    rate: 20_000,
    throughput: 20_000 * 64,
    errorsTotal: 0,
    errors: createErrorCounts(),
    ...over,
  };
}

describe("parseThreshold", () => {
  test("latency in ms by default, or with us, ms or s", () => {
    expect(parseThreshold("p99<5").limit).toBe(5);
    expect(parseThreshold("p99 < 5ms")).toMatchObject({ metric: "p99", operator: "<", limit: 5 });
    expect(parseThreshold("p99_9<=250us").limit).toBe(0.25);
    expect(parseThreshold("max<1.5s").limit).toBe(1500);
    expect(parseThreshold("connect_p99<20ms").metric).toBe("connect_p99");
  });

  test("rate in msg/s, throughput in bytes/s with size units", () => {
    expect(parseThreshold("rate>=20000")).toMatchObject({ operator: ">=", limit: 20_000 });
    expect(parseThreshold("rate>=20000/s").limit).toBe(20_000);
    expect(parseThreshold("throughput>10MiB").limit).toBe(10 * 1024 * 1024);
    expect(parseThreshold("throughput>1GB/s").limit).toBe(1e9);
    expect(parseThreshold("errors==0")).toMatchObject({ metric: "errors", operator: "==" });
  });

  for (const bad of ["p99", "p99<", "p98<5", "p99<5xs", "p99=5", "rate>fast", "p99<-1", "<5"]) {
    test(`"${bad}" is a usage error naming --threshold and the expression`, () => {
      let error: unknown;
      try {
        parseThreshold(bad);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(EchodError);
      expect((error as EchodError).exitCode).toBe(2);
      expect((error as Error).message).toStartWith(`invalid --threshold ${JSON.stringify(bad)}: `);
    });
  }
});

describe("verdict and exit code", () => {
  test("each threshold is judged against its own figure", () => {
    const v = verdict(
      ["p99<5ms", "p99<3ms", "rate>=20000", "throughput>2MiB", "mismatches==0"].map(parseThreshold),
      measured(),
      null,
    );
    expect(v.checks.map((c) => [c.expression, c.measured, c.pass])).toEqual([
      ["p99<5ms", 4, true],
      ["p99<3ms", 4, false],
      ["rate>=20000", 20_000, true],
      ["throughput>2MiB", 1_280_000, false],
      ["mismatches==0", 0, true],
    ]);
    expect(v.pass).toBe(false);
    expect(exitCode(v, 0, 0)).toBe(THRESHOLD_EXIT_CODE);
    expect(THRESHOLD_EXIT_CODE).toBe(99);
  });

  test("no thresholds: errors exit 1, a clean run 0", () => {
    expect(exitCode(null, 0, 0)).toBe(0);
    expect(exitCode(null, 3, 0)).toBe(1);
  });

  test("a threshold on errors decides for errors, but a mismatch always fails", () => {
    const allow = verdict([parseThreshold("errors<10")], measured({ errorsTotal: 4 }), null);
    expect(allow.pass).toBe(true);
    expect(exitCode(allow, 4, 0)).toBe(0);
    expect(exitCode(allow, 4, 1)).toBe(1);
    const other = verdict([parseThreshold("p99<5")], measured({ errorsTotal: 4 }), null);
    expect(exitCode(other, 4, 0)).toBe(1);
  });

  test("a run stopped by --abort-on-fail fails", () => {
    const v = verdict([parseThreshold("errors==0")], measured(), "errors==0");
    expect(v.pass).toBe(false);
  });
});

describe("hopeless (--abort-on-fail)", () => {
  test("a count or max past an upper bound can no longer pass", () => {
    const t = ["errors<3", "max<10ms"].map(parseThreshold);
    // latency(2) has a max of 6 ms, latency(4) of 12 ms.
    expect(hopeless(t, measured({ errorsTotal: 2, latency: latency(2) }))).toBeNull();
    expect(hopeless(t, measured({ errorsTotal: 3, latency: latency(2) }))?.expression).toBe(
      "errors<3",
    );
    expect(hopeless(t, measured({ latency: latency(4) }))?.expression).toBe("max<10ms");
    expect(hopeless([parseThreshold("errors==2")], measured({ errorsTotal: 2 }))).toBeNull();
  });

  test("percentiles, rates and lower bounds are judged only at the end", () => {
    const t = ["p99<1ms", "rate>1000000", "errors>5", "mean<0.1"].map(parseThreshold);
    expect(hopeless(t, measured())).toBeNull();
  });
});
