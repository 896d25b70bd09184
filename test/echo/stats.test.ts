/** The plain-number counters and how snapshots add up (over listeners, over workers). */
import { expect, test } from "bun:test";
import {
  addListenerStats,
  addStats,
  CLOSE_REASONS,
  combineStreams,
  createStats,
  createUdpStats,
  DURATION_BUCKETS,
  type EchoStats,
  observeDuration,
  zeroed,
} from "../../src/echo/stats.ts";

/** A snapshot with every counter set from `n`, so that a sum shows which fields it added. */
function filled(n: number, maxConnections = 100): EchoStats {
  const stats = createStats(maxConnections);
  Object.assign(stats, { accepted: n, active: n, receivedBytes: 10 * n, sentBytes: 9 * n });
  Object.assign(stats, { discardedBytes: n, bufferedBytes: 0, backpressurePauses: n, messages: n });
  Object.assign(stats, { peakConnectionBuffer: 1000 * n });
  stats.rejected.max_connections = n;
  stats.closed.peer_reset = n;
  stats.faults.delay = n;
  observeDuration(stats, n);
  return stats;
}

test("a new snapshot has every counter at zero, every reason and bucket present", () => {
  const stats = createStats(7);
  expect(stats.maxConnections).toBe(7);
  expect(Object.keys(stats.closed)).toEqual([...CLOSE_REASONS]);
  expect(Object.values(stats.closed).every((n) => n === 0)).toBe(true);
  expect(stats.durationBuckets).toEqual(new Array(DURATION_BUCKETS.length + 1).fill(0));
  expect(zeroed(["a", "b"] as const)).toEqual({ a: 0, b: 0 });
});

test("a duration counts into every bucket at or above it, and into +Inf", () => {
  const stats = createStats();
  observeDuration(stats, 0.5);
  observeDuration(stats, 4000);
  // Buckets: 0.01 0.1 0.5 1 5 15 60 300 900 3600 +Inf
  expect(stats.durationBuckets).toEqual([0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2]);
  expect(stats.durationSum).toBe(4000.5);
});

test("addStats sums every counter, keeps the largest peak, and returns its target", () => {
  const into = filled(1);
  const from = filled(2);
  const sum = addStats(into, from);
  expect(sum).toBe(into);
  expect(sum.accepted).toBe(3);
  expect(sum.maxConnections).toBe(200);
  expect(sum.receivedBytes).toBe(30);
  expect(sum.rejected.max_connections).toBe(3);
  expect(sum.closed.peer_reset).toBe(3);
  expect(sum.faults.delay).toBe(3);
  expect(sum.messages).toBe(3);
  expect(sum.peakConnectionBuffer).toBe(2000);
  expect(sum.durationSum).toBe(3);
  expect(sum.durationBuckets[DURATION_BUCKETS.length]).toBe(2);
  // The added snapshot is left as it was.
  expect(from.accepted).toBe(2);
});

test("addListenerStats adds listener by listener, and UDP apart, without changing either side", () => {
  const udp = createUdpStats();
  Object.assign(udp, { datagramsIn: 5, datagramsOut: 4, receivedBytes: 50, sentBytes: 40 });
  udp.dropped.too_large = 1;
  const a = { stream: { tcp: filled(1) }, udp: null };
  const b = { stream: { tcp: filled(2), tls: filled(3) }, udp };
  const sum = addListenerStats(a, b);
  expect(sum.stream.tcp?.accepted).toBe(3);
  expect(sum.stream.tls?.accepted).toBe(3);
  expect(sum.stream.unix).toBeUndefined();
  expect(sum.udp).toEqual({ ...udp, dropped: { ...udp.dropped } });
  // Adding again counts UDP twice, not once: the sum is a new object.
  expect(addListenerStats(sum, b).udp?.datagramsIn).toBe(10);
  expect(b.udp.datagramsIn).toBe(5);
  expect(b.stream.tls.accepted).toBe(3);
});

test("combineStreams adds the stream listeners but takes the shared connection limit once, from TCP", () => {
  const total = combineStreams({
    stream: { tcp: filled(1, 100), tls: filled(2, 100), unix: filled(3, 100) },
    udp: null,
  });
  expect(total.accepted).toBe(6);
  expect(total.closed.peer_reset).toBe(6);
  expect(total.maxConnections).toBe(100);
  expect(combineStreams({ stream: {}, udp: null })).toEqual(createStats());
});
