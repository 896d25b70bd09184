/**
 * prom-client's default process metrics, trimmed: on Bun the heap-space
 * group reports zeros and costs ~6 ms a scrape, and GC, handle and request
 * metrics are always empty. process_open_fds is echod's own (one stat, see
 * openFileDescriptors).
 */
import type { Registry } from "prom-client";
import osMemoryHeap from "prom-client/lib/metrics/osMemoryHeap.js";
import processCpuTotal from "prom-client/lib/metrics/processCpuTotal.js";
import processMaxFileDescriptors from "prom-client/lib/metrics/processMaxFileDescriptors.js";
import processStartTime from "prom-client/lib/metrics/processStartTime.js";
import { plain } from "./collectors.ts";
import { openFileDescriptors } from "./resources.ts";

export function registerProcessMetrics(registry: Registry): void {
  for (const register of [
    processCpuTotal,
    processStartTime,
    osMemoryHeap,
    processMaxFileDescriptors,
  ]) {
    register(registry);
  }
  plain([registry], {
    type: "gauge",
    name: "process_open_fds",
    help: "Number of open file descriptors.",
    read: openFileDescriptors,
  });
}
