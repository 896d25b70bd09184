/**
 * Runs the engine on one thread or several. With `--workers N` the
 * connections (and the rate and the amount) are split between N Worker
 * threads, each with its own event loop; their histograms come back encoded
 * and are decoded here, to be merged (never averaged) by aggregate.ts.
 */
import type { EngineOptions, EngineResult } from "./engine.ts";
import { startEngine } from "./engine-select.ts";
import { decodeHistogram } from "./histogram.ts";
import type { BenchOptions } from "./options.ts";
import { createPattern } from "./payload.ts";
import { decodeSecond, type EncodedSecond, type Second } from "./seconds.ts";

export interface WorkerTask {
  readonly options: EngineOptions;
  readonly size: number;
}

type Encoded = Omit<EngineResult, "latency" | "connectLatency"> & {
  readonly latency: string;
  readonly connectLatency: string | null;
};

export type WorkerMessage =
  | {
      readonly type: "second";
      readonly messages: number;
      readonly bytes: number;
      readonly second: EncodedSecond;
    }
  | { readonly type: "done"; readonly result: Encoded };

export interface RunHooks {
  /** Each worker calls it once a second with that second's counts (`second` holds all of that second). */
  onSecond?(messages: number, bytes: number, second: Second, worker: number): void;
  /** Called once with the function that ends every worker's run early (--abort-on-fail). */
  onStart?(stop: () => void): void;
}

/** The share of worker `i` of `total` split `n` ways, the remainder to the first ones. */
export function share(total: number, n: number, i: number): number {
  return Math.floor(total / n) + (i < total % n ? 1 : 0);
}

export function engineOptions(o: BenchOptions): EngineOptions[] {
  const parts: EngineOptions[] = [];
  let first = 0;
  for (let i = 0; i < o.workers; i++) {
    const connections = share(o.connections, o.workers, i);
    parts.push({
      transport: o.transport,
      host: o.host,
      port: o.port,
      unix: o.unix,
      tls: o.tls,
      connections,
      pipelining: o.pipelining,
      duration: o.duration,
      amount: o.amount === null ? null : share(o.amount, o.workers, i),
      warmup: o.warmup,
      timeout: o.timeout,
      rate: o.rate === null ? null : (o.rate * connections) / o.connections,
      churn: o.churn,
      banner: o.banner,
      connectRate: o.connectRate === null ? null : (o.connectRate * connections) / o.connections,
      channelLifetime: o.channelLifetime,
      stages:
        o.stages?.map((s) => ({
          rate: (s.rate * connections) / o.connections,
          seconds: s.seconds,
        })) ?? null,
      firstConnection: first,
    });
    first += connections;
  }
  return parts;
}

export async function runWorkers(o: BenchOptions, hooks: RunHooks = {}): Promise<EngineResult[]> {
  const parts = engineOptions(o);
  if (parts.length === 1) {
    const { onSecond, onStart } = hooks;
    return [
      await startEngine(parts[0] as EngineOptions, createPattern(o.size), {
        ...(onSecond ? { onSecond: (m, b, s) => onSecond(m, b, s, 0) } : {}),
        ...(onStart ? { onStart } : {}),
      }),
    ];
  }
  const threads = parts.map(() => new Worker(new URL("./worker.ts", import.meta.url).href));
  hooks.onStart?.(() => {
    for (const w of threads) w.postMessage("stop");
  });
  return Promise.all(
    parts.map((options, i) => runThread(threads[i] as Worker, i, { options, size: o.size }, hooks)),
  );
}

function runThread(
  worker: Worker,
  index: number,
  task: WorkerTask,
  hooks: RunHooks,
): Promise<EngineResult> {
  return new Promise((resolve, reject) => {
    worker.onmessage = (event: MessageEvent<WorkerMessage>) => {
      const m = event.data;
      if (m.type === "second") {
        hooks.onSecond?.(m.messages, m.bytes, decodeSecond(m.second), index);
        return;
      }
      worker.terminate();
      resolve({
        ...m.result,
        latency: decodeHistogram(m.result.latency),
        connectLatency: m.result.connectLatency ? decodeHistogram(m.result.connectLatency) : null,
      });
    };
    worker.onerror = (event) => {
      worker.terminate();
      reject(new Error(`harness worker failed: ${event.message}`));
    };
    worker.postMessage(task);
  });
}
