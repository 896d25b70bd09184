#!/usr/bin/env bun
/**
 * What the metrics warm-up buys: in a fresh Bun process per case, builds
 * the registries over the deferred source as main.ts does, renders them
 * `N` times back to back (the warm-up, timed), switches the source to a live
 * daemon's counters, and times the next five Prometheus renders, 100 ms
 * apart as rare scrapes are. One line per case and round.
 *
 *   bun bench/studies/warm-up.ts [--renders 0,50,150,300] [--rounds 3]
 */
import { resolve } from "node:path";
import { scriptArgs, textOption } from "../common/cli.ts";

const SRC = resolve(import.meta.dir, "../../src");
const values = scriptArgs<{ renders: string; rounds: string; child: string }>({
  name: "warm-up",
  usage: "bun bench/studies/warm-up.ts [options]\n\nScrape cost after N warm-up renders.",
  options: {
    renders: textOption("0,50,150,300", "Comma-separated warm-up render counts to try"),
    rounds: textOption("3", "Rounds; each runs every count once"),
    child: textOption("", "(internal) run one case with this many renders"),
  },
});

if (values.child !== "") {
  const { createMetrics } = await import(`${SRC}/metrics/registry.ts`);
  const { deferredSource, warmUpMetrics } = await import(`${SRC}/metrics/warm-up.ts`);
  const { createStats } = await import(`${SRC}/echo/stats.ts`);
  const { ownResources } = await import(`${SRC}/metrics/resources.ts`);
  let live: unknown;
  const metrics = createMetrics(deferredSource(() => live as never));
  const started = performance.now();
  await warmUpMetrics(metrics, Number(values.child));
  const warmUp = performance.now() - started;
  const stats = createStats();
  live = {
    stats: () => stats,
    listenerStats: () => ({ stream: { tcp: stats }, udp: null }),
    resources: ownResources,
    workers: () => ({ running: 1, restarts: 0, restartFailures: 0, internalErrors: 0 }),
    ready: () => true,
  };
  const scrapes: string[] = [];
  for (let i = 0; i < 5; i++) {
    await Bun.sleep(100);
    const t = performance.now();
    await metrics.prometheus.metrics();
    scrapes.push((performance.now() - t).toFixed(2));
  }
  process.stdout.write(
    `renders ${values.child}: warm-up ${warmUp.toFixed(1)} ms; next five scrapes ${scrapes.join(", ")} ms\n`,
  );
  process.exit(0);
}

const counts = values.renders.split(",").map(Number);
if (counts.some((n) => !Number.isInteger(n) || n < 0)) {
  process.stderr.write(
    `warm-up: --renders ${JSON.stringify(values.renders)}: whole numbers from 0\n`,
  );
  process.exit(2);
}
const rounds = Number(values.rounds);
if (!Number.isInteger(rounds) || rounds < 1) {
  process.stderr.write(
    `warm-up: --rounds ${JSON.stringify(values.rounds)}: a whole number above 0\n`,
  );
  process.exit(2);
}
for (let round = 1; round <= rounds; round++) {
  for (const n of counts) {
    const out = Bun.spawnSync([process.execPath, import.meta.path, "--child", String(n)], {
      stderr: "inherit",
    });
    process.stdout.write(`round ${round}: ${out.stdout.toString()}`);
  }
}
