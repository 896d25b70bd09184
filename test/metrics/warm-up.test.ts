/**
 * The metrics warm-up (src/metrics/warm-up.ts), which main.ts runs before
 * the echo port opens: the registries it rendered over the deferred source
 * render hot once that source reads the daemon. Each measurement runs in a
 * fresh Bun process, the only place where rendering code is cold.
 */
import { expect, test } from "bun:test";
import { resolve } from "node:path";
import { runCommand } from "../helpers/spawn-echod.ts";

const ROOT = resolve(import.meta.dir, "../..");

/** Milliseconds the first render over the live source took, after `renders` warm-up renders. */
async function firstRender(renders: number): Promise<number> {
  const code = `
    import { createMetrics } from "${ROOT}/src/metrics/registry.ts";
    import { deferredSource, warmUpMetrics } from "${ROOT}/src/metrics/warm-up.ts";
    import { createStats } from "${ROOT}/src/echo/stats.ts";
    import { ownResources } from "${ROOT}/src/metrics/resources.ts";
    let live;
    const m = createMetrics(deferredSource(() => live));
    if (${renders} > 0) await warmUpMetrics(m, ${renders});
    const stats = createStats();
    stats.receivedBytes = 12345;
    live = {
      stats: () => stats,
      listenerStats: () => ({ stream: { tcp: stats }, udp: null }),
      resources: ownResources,
      workers: () => ({ running: 1, restarts: 0, restartFailures: 0, internalErrors: 0 }),
      ready: () => true,
    };
    await Bun.sleep(10); // past the registry's 5 ms snapshot
    const t = performance.now();
    const text = await m.prometheus.metrics();
    await m.openMetrics.metrics();
    if (!text.includes('echod_received_bytes_total{listener="tcp"} 12345')) throw new Error(text);
    process.stdout.write(String(performance.now() - t));
  `;
  const run = await runCommand([process.execPath, "-e", code], {}, 30_000);
  expect(run.stderr).toBe("");
  return Number(run.stdout);
}

test("after the warm-up, the first render of the daemon's figures is less than half a cold one", async () => {
  const cold: number[] = [];
  const warm: number[] = [];
  for (let i = 0; i < 3; i++) {
    cold.push(await firstRender(0));
    warm.push(await firstRender(50));
  }
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[1] as number;
  console.log(
    `first render: cold ${cold.map((v) => v.toFixed(2))} ms, warmed ${warm.map((v) => v.toFixed(2))} ms`,
  );
  expect(median(warm) * 2).toBeLessThan(median(cold));
}, 60_000);
