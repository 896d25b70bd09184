/**
 * `--slice INDEX/COUNT`: one harness's share of a load that many harnesses
 * make together (the pods of deploy/kubernetes/bench-job.yaml): the
 * connections and the amount split as evenly as whole numbers go, the
 * remainder to the first slices (as --workers splits them), and the rates
 * in proportion to the connections.
 */
import { usageError } from "../../src/errors.ts";

export function parseSlice(text: string): { index: number; count: number } {
  const m = /^(0|[1-9]\d*)\/([1-9]\d*)$/.exec(text);
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || index >= count || count > 100_000) {
    throw usageError("--slice", text, "must be INDEX/COUNT with 0 <= INDEX < COUNT, such as 0/3");
  }
  return { index, count };
}

interface Sliceable {
  readonly connections: number;
  readonly workers: number;
  readonly rate: number | null;
  readonly amount: number | null;
  readonly connectRate: number | null;
  readonly stages: readonly { readonly rate: number; readonly seconds: number }[] | null;
  readonly slice: { readonly index: number; readonly count: number } | null;
}

/** This slice's share of the load: connections (and amount) split as evenly as whole numbers go, rates in proportion. */
export function applySlice<T extends Sliceable>(o: T): T {
  if (o.slice === null) return o;
  const { index, count } = o.slice;
  const share = (total: number) => Math.floor(total / count) + (index < total % count ? 1 : 0);
  const connections = share(o.connections);
  if (connections < o.workers || connections === 0) {
    throw usageError(
      "--slice",
      `${index}/${count}`,
      `leaves ${connections} of --connections ${o.connections} to this slice, fewer than --workers ${o.workers}`,
    );
  }
  const part = connections / o.connections;
  return {
    ...o,
    connections,
    rate: o.rate === null ? null : o.rate * part,
    amount: o.amount === null ? null : share(o.amount),
    connectRate: o.connectRate === null ? null : o.connectRate * part,
    stages: o.stages?.map((s) => ({ rate: s.rate * part, seconds: s.seconds })) ?? null,
  };
}
