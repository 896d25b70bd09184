/**
 * Picks and runs the engine for a worker's options: udp-engine.ts for a
 * udp:// target, engine.ts for the stream transports; and for an open loop
 * in stages (`--rate 1000:10s,5000:30s`) one engine run per stage, one
 * after the other, merged into one result. Each stage is an exact open loop
 * of its own (latency from due times at that stage's rate): the engine's
 * per-message path never sees a rate change. The cost is that connections
 * reopen at each stage boundary, and the moments between two stages
 * (echoes in flight collected, sockets reopened) are not measured.
 */
import type { ThreadBusy } from "./cpu.ts";
import { type EngineHooks, type EngineOptions, type EngineResult, runEngine } from "./engine.ts";
import { addErrorCounts, createErrorCounts } from "./errors.ts";
import { mergeHistograms } from "./histogram.ts";
import type { Pattern } from "./payload.ts";
import { runUdpEngine } from "./udp-engine.ts";

function runOne(o: EngineOptions, pattern: Pattern, hooks: EngineHooks): Promise<EngineResult> {
  return o.transport === "udp" ? runUdpEngine(o, pattern, hooks) : runEngine(o, pattern, hooks);
}

export async function startEngine(
  o: EngineOptions,
  pattern: Pattern,
  hooks: EngineHooks = {},
): Promise<EngineResult> {
  if (o.stages === null) return runOne(o, pattern, hooks);
  let stopped = false;
  let stopStage = () => {};
  hooks.onStart?.(() => {
    stopped = true;
    stopStage();
  });
  const results: EngineResult[] = [];
  for (const [i, stage] of o.stages.entries()) {
    if (stopped) break;
    const stageOptions: EngineOptions = {
      ...o,
      rate: stage.rate,
      duration: stage.seconds,
      amount: null,
      warmup: i === 0 ? o.warmup : 0,
      stages: null,
    };
    results.push(
      await runOne(stageOptions, pattern, {
        ...(hooks.onSecond ? { onSecond: hooks.onSecond } : {}),
        onStart: (stop) => {
          stopStage = stop;
        },
      }),
    );
  }
  return mergeSequential(results);
}

/** Results of runs one after the other: counts and times added, seconds in sequence, histograms merged. */
function mergeSequential(results: readonly EngineResult[]): EngineResult {
  const errors = createErrorCounts();
  for (const r of results) addErrorCounts(errors, r.errors);
  const sum = (f: (r: EngineResult) => number) => results.reduce((t, r) => t + f(r), 0);
  return {
    messages: sum((r) => r.messages),
    bytes: sum((r) => r.bytes),
    connects: sum((r) => r.connects),
    elapsedMs: sum((r) => r.elapsedMs),
    perSecond: {
      messages: results.flatMap((r) => r.perSecond.messages),
      bytes: results.flatMap((r) => r.perSecond.bytes),
    },
    latency: mergeHistograms(results.map((r) => r.latency)),
    busy: weightedBusy(results),
    connectLatency: null,
    errors,
  };
}

/** The stages' busy fractions, weighted by each stage's time; waiting unknown if any stage's is. */
function weightedBusy(results: readonly EngineResult[]): ThreadBusy {
  const total = results.reduce((t, r) => t + r.elapsedMs, 0);
  if (total <= 0) return { cpu: 0, waiting: null };
  const weighted = (f: (b: ThreadBusy) => number) =>
    Math.round((results.reduce((t, r) => t + f(r.busy) * r.elapsedMs, 0) / total) * 1000) / 1000;
  const known = results.every((r) => r.busy.waiting !== null);
  return { cpu: weighted((b) => b.cpu), waiting: known ? weighted((b) => b.waiting ?? 0) : null };
}
