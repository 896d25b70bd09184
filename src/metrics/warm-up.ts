/**
 * Gets the metrics rendering code hot before the echo port opens. A scrape
 * every few seconds never makes that code hot by itself, and cold it costs
 * several times as much event-loop time (bench/studies/metrics-overhead.ts);
 * run after the listeners opened, the same renders slowed the first seconds
 * of echo traffic (bench/studies/startup.ts, bench/NOTES.md). So main.ts
 * builds the registries before the runtime exists, over a source that reads
 * an idle daemon until the runtime is there, and renders them back to back
 * before it starts listening. The real registries are warmed, not
 * throwaway ones, so that their own first render (and whatever prom-client
 * sets up per registry on it) also happens before the port opens.
 */
import { createControlCounts } from "../admin/control/counts.ts";
import { createStats } from "../echo/stats.ts";
import type { MetricsRegistries } from "./registry.ts";
import { ownResources } from "./resources.ts";
import type { MetricsSource } from "./source.ts";

/** Renders of each format: the start-up it costs is in bench/NOTES.md. */
export const WARM_UP_RENDERS = 10;

/**
 * `target()` once it returns a source; before that, a daemon with no
 * listeners' traffic that is not ready. With `control` (--control) it has
 * the control API's counters too, zero until the API exists.
 */
export function deferredSource(
  target: () => MetricsSource | undefined,
  { control = false }: { control?: boolean } = {},
): MetricsSource {
  const idle = createStats();
  const noControl = createControlCounts();
  return {
    ...(control ? { control: () => target()?.control?.() ?? noControl } : {}),
    stats: () => target()?.stats() ?? idle,
    listenerStats: () => target()?.listenerStats() ?? { stream: { tcp: idle }, udp: null },
    resources: () => target()?.resources() ?? ownResources(),
    workers: () =>
      target()?.workers() ?? { running: 0, restarts: 0, restartFailures: 0, internalErrors: 0 },
    ready: () => target()?.ready() ?? false,
  };
}

export async function warmUpMetrics(
  metrics: MetricsRegistries,
  renders = WARM_UP_RENDERS,
): Promise<void> {
  for (let i = 0; i < renders; i++) {
    await metrics.prometheus.metrics();
    await metrics.openMetrics.metrics();
  }
}
