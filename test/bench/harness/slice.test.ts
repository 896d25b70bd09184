/**
 * --slice: the shares of COUNT slices add up to the whole load, the
 * remainder going to the first slices, rates in proportion to connections.
 */
import { expect, test } from "bun:test";
import { applySlice, parseSlice } from "../../../bench/harness/slice.ts";

const load = {
  connections: 10,
  workers: 1,
  rate: 1000,
  amount: 7,
  connectRate: 50,
  stages: [{ rate: 300, seconds: 5 }],
  slice: null,
};

test("three slices of 10 connections and 7 messages: 4+3+3 and 3+2+2, rates in proportion", () => {
  const slices = [0, 1, 2].map((index) => applySlice({ ...load, slice: { index, count: 3 } }));
  expect(slices.map((s) => s.connections)).toEqual([4, 3, 3]);
  expect(slices.map((s) => s.amount)).toEqual([3, 2, 2]);
  expect(slices.map((s) => s.rate)).toEqual([400, 300, 300]);
  expect(slices.map((s) => s.connectRate)).toEqual([20, 15, 15]);
  expect(slices.map((s) => s.stages?.[0]?.rate)).toEqual([120, 90, 90]);
  expect(applySlice(load)).toBe(load);
});

test("a slice with fewer connections than workers, or a bad INDEX/COUNT, is refused", () => {
  expect(() => applySlice({ ...load, connections: 2, slice: { index: 2, count: 3 } })).toThrow(
    'invalid --slice "2/3": leaves 0 of --connections 2',
  );
  for (const bad of ["3/3", "1", "-1/3", "a/b", "0/0", "01/3"]) {
    expect(() => parseSlice(bad)).toThrow(`invalid --slice ${JSON.stringify(bad)}`);
  }
  expect(parseSlice("2/5")).toEqual({ index: 2, count: 5 });
});
