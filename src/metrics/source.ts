/**
 * What the metrics read at scrape time: a view of the Runtime (main.ts
 * makes it not ready once shutdown has begun).
 */
import type { ControlCounts } from "../admin/control/counts.ts";
import type { Runtime } from "../runtime/types.ts";

export type MetricsSource = Pick<
  Runtime,
  "stats" | "listenerStats" | "ready" | "resources" | "workers"
> & {
  /** The control API's counters, with --control only. */
  readonly control?: () => ControlCounts;
};
