/** echod_connection_duration_seconds as rendered from the close handler's bucket counts. */
import { expect, test } from "bun:test";
import { createStats, DURATION_BUCKETS, observeDuration } from "../../src/echo/stats.ts";
import { durationHistogram, durationSamples } from "../../src/metrics/histogram.ts";

test("buckets are cumulative and end with +Inf, then the sum and the count", () => {
  const stats = createStats();
  for (const seconds of [0.005, 0.2, 2, 7200]) observeDuration(stats, seconds);
  const samples = durationSamples(stats);
  expect(samples).toHaveLength(DURATION_BUCKETS.length + 3);
  const buckets = samples.filter((s) => s.metricName.endsWith("_bucket"));
  expect(buckets.map((s) => s.labels.le)).toEqual([...DURATION_BUCKETS, "+Inf"]);
  expect(buckets.map((s) => s.value)).toEqual([1, 1, 2, 2, 3, 3, 3, 3, 3, 3, 4]);
  expect(samples.at(-2)).toEqual({
    metricName: "echod_connection_duration_seconds_sum",
    labels: {},
    value: 7202.205,
  });
  expect(samples.at(-1)).toEqual({
    metricName: "echod_connection_duration_seconds_count",
    labels: {},
    value: 4,
  });
});

test("the metric reads a fresh snapshot each time it is rendered", async () => {
  const stats = createStats();
  const metric = durationHistogram(() => stats);
  expect((await metric.get()).values.at(-1)?.value).toBe(0);
  observeDuration(stats, 1);
  const got = await metric.get();
  expect(String(got.type)).toBe("histogram");
  expect(got.values.at(-1)?.value).toBe(1);
});
