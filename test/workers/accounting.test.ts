/** What a dead worker's last counters leave in the primary's books. */
import { expect, test } from "bun:test";
import { createStats, createUdpStats } from "../../src/echo/stats.ts";
import { addSummaries, bookDeadWorker } from "../../src/workers/accounting.ts";

test("a dead worker's open connections are booked as worker_died and its queued bytes as discarded", () => {
  const tcp = createStats(50);
  Object.assign(tcp, { accepted: 9, active: 4, receivedBytes: 1000, sentBytes: 600 });
  Object.assign(tcp, { discardedBytes: 100, bufferedBytes: 300 });
  tcp.closed.peer_closed = 5;
  const udp = createUdpStats();
  udp.datagramsIn = 3;
  const booked = bookDeadWorker({ stream: { tcp }, udp });
  const after = booked.stream.tcp;
  console.log(`booked: ${JSON.stringify({ ...after, durationBuckets: undefined })}`);
  expect(after?.active).toBe(0);
  expect(after?.closed.worker_died).toBe(4);
  expect(after?.closed.peer_closed).toBe(5);
  expect(after?.bufferedBytes).toBe(0);
  expect(after?.discardedBytes).toBe(400);
  expect(after?.maxConnections).toBe(0);
  // Both invariants hold for what is left.
  expect(after?.accepted).toBe(Object.values(after?.closed ?? {}).reduce((a, b) => a + b, 0));
  expect(after?.receivedBytes).toBe((after?.sentBytes ?? 0) + (after?.discardedBytes ?? 0));
  expect(booked.udp?.datagramsIn).toBe(3);
  // The snapshot it came from is not changed.
  expect(tcp.active).toBe(4);
});

test("the shutdown summary adds the bytes of workers that died before to the workers' own", () => {
  const before = createStats();
  Object.assign(before, { receivedBytes: 10, sentBytes: 7, discardedBytes: 3 });
  const one = { drained: 2, cut: 1, receivedBytes: 100, sentBytes: 90, discardedBytes: 10 };
  const summary = addSummaries(before, [one, one]);
  console.log(`summary: ${JSON.stringify(summary)}`);
  expect(summary).toEqual({
    drained: 4,
    cut: 2,
    receivedBytes: 210,
    sentBytes: 187,
    discardedBytes: 23,
  });
});
