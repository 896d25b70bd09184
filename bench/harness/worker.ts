/**
 * Entry point of a harness worker thread (`--workers` > 1): runs one engine
 * on its share of the connections and posts each second's counts, then the
 * result with its histograms encoded, to the main thread for merging.
 */

import { startEngine } from "./engine-select.ts";
import { encodeHistogram } from "./histogram.ts";
import { createPattern } from "./payload.ts";
import { encodeSecond } from "./seconds.ts";
import type { WorkerMessage, WorkerTask } from "./workers.ts";

declare const self: Worker;

let stopEngine: (() => void) | null = null;

self.onmessage = async (event: MessageEvent<WorkerTask | "stop">) => {
  if (event.data === "stop") {
    stopEngine?.();
    return;
  }
  const { options, size } = event.data;
  const post = (message: WorkerMessage) => self.postMessage(message);
  const result = await startEngine(options, createPattern(size), {
    onSecond: (messages, bytes, second) =>
      post({ type: "second", messages, bytes, second: encodeSecond(second) }),
    onStart: (stop) => {
      stopEngine = stop;
    },
  });
  post({
    type: "done",
    result: {
      ...result,
      latency: encodeHistogram(result.latency),
      connectLatency: result.connectLatency ? encodeHistogram(result.connectLatency) : null,
    },
  });
};
