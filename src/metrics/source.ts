/**
 * What the metrics read at scrape time: a view of the Runtime (main.ts
 * makes it not ready once shutdown has begun).
 */
import type { Runtime } from "../runtime/types.ts";

export type MetricsSource = Pick<
  Runtime,
  "stats" | "listenerStats" | "ready" | "resources" | "workers"
>;
