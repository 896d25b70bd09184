/**
 * --max-memory under a flood of clients that send and do not read: 2,000
 * connections sending 4 MiB each (budget-client.ts) against echod with
 * --max-memory 64MiB, in a network namespace with 64 KiB socket buffers
 * (on the host's loopback the kernel would absorb about 4 MiB per
 * connection, test/helpers/netns.ts). The bytes echod queues daemon-wide
 * (echod_memory_queued_bytes, scraped every 50 ms from inside the
 * namespace) must never pass the budget; echod's RSS (all its processes,
 * sampled every 50 ms) must stay within base + budget + the allowance
 * SECURITY.md states; then every client reads and gets every byte back.
 * The same with --workers 2, where each worker has half the budget.
 * RSS while the clients read back at full speed is reported, not bounded:
 * read buffers already echoed wait for the collector then (as in
 * non-reading-flood.test.ts). Each case takes 30-40 s here.
 */
import { expect, test } from "bun:test";
import { resolve } from "node:path";
import { createNetns, netnsAfterEach } from "../helpers/netns.ts";
import {
  killedAfterEach,
  killQuietly,
  LOOPBACK_WITH_ADMIN,
  spawnEchod,
} from "../helpers/spawn-echod.ts";
import { rssBytes } from "./tools.ts";

const MIB = 1024 * 1024;
const CLIENTS = 2000;
const EACH = 4 * MIB;
const BUDGET = 64 * MIB;
/** Read buffers echoed but not yet collected (Bun allocates one per read), as SECURITY.md states. */
const READ_ALLOWANCE = 64 * MIB;
/** Per connection: Bun's socket state, two 16 KiB coalescing blocks, slack (SECURITY.md). */
const PER_CONNECTION = 48 * 1024;
const CLIENT = resolve(import.meta.dir, "budget-client.ts");

const running = killedAfterEach((e) => (e.started.workers as number[] | undefined) ?? []);
const namespaces = netnsAfterEach();

for (const workers of [1, 2]) {
  test(`${CLIENTS} clients sending 4 MiB each without reading, --max-memory 64MiB${workers > 1 ? ` --workers ${workers}` : ""}: queued bytes never pass 64 MiB, RSS within base + 64 MiB + allowance, then every byte comes back`, async () => {
    const ns = await createNetns();
    namespaces.push(ns);
    const echod = await spawnEchod(
      [...LOOPBACK_WITH_ADMIN, "--max-memory", "64MiB", "--workers", String(workers)],
      { prefix: ns.prefix },
    );
    running.push(echod);
    const pids = [echod.proc.pid, ...((echod.started.workers as number[] | undefined) ?? [])];
    const rss = () => pids.reduce((sum, pid) => sum + rssBytes(pid), 0);
    await ns.get(`http://127.0.0.1:${echod.metricsPort}/metrics`);
    await Bun.sleep(200);
    const base = rss();
    const bound = base + BUDGET + READ_ALLOWANCE + CLIENTS * PER_CONNECTION;

    const peak = { flood: base, readBack: base };
    let phase: "flood" | "readBack" = "flood";
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        try {
          peak[phase] = Math.max(peak[phase], rss());
        } catch {}
        await Bun.sleep(50);
      }
    })();

    const client = Bun.spawn(
      [
        ...ns.prefix,
        process.execPath,
        CLIENT,
        String(echod.port),
        String(echod.metricsPort),
        String(CLIENTS),
        String(EACH),
      ],
      { stdin: "pipe", stdout: "pipe", stderr: "inherit", timeout: 150_000 },
    );
    const lines = client.stdout.getReader();
    let text = "";
    const nextLine = async (): Promise<Record<string, number | string>> => {
      for (;;) {
        const nl = text.indexOf("\n");
        if (nl >= 0) {
          const line = text.slice(0, nl);
          text = text.slice(nl + 1);
          return JSON.parse(line);
        }
        const { value, done } = await lines.read();
        if (done) throw new Error(`budget client ended early: ${text}`);
        text += new TextDecoder().decode(value);
      }
    };
    try {
      const stalled = await nextLine();
      const metrics = await ns.get(`http://127.0.0.1:${echod.metricsPort}/metrics`);
      const pauses = Number(
        /^echod_memory_pauses_total\{listener="tcp"\} (\S+)$/m.exec(metrics)?.[1],
      );
      phase = "readBack";
      client.stdin.write("read\n");
      client.stdin.flush();
      const done = await nextLine();
      sampling = false;
      await sampler;
      const after = await ns.get(`http://127.0.0.1:${echod.metricsPort}/metrics`);
      const mib = (n: number) => `${(n / MIB).toFixed(1)} MiB`;
      console.log(
        `memory budget, ${CLIENTS} x 4 MiB, --workers ${workers}: peak queued while not reading ${mib(Number(stalled.peakQueued))}; stalled after ${mib(Number(stalled.sent))} sent in ${Number(stalled.seconds).toFixed(1)} s, ${pauses} budget pauses; ` +
          `peak queued ${mib(Number(done.peakQueued))} (budget ${mib(Number(stalled.budget))}, ${done.samples} samples); ` +
          `base RSS ${mib(base)}, peak RSS while not reading ${mib(peak.flood)} (bound ${mib(bound)}), while reading back ${mib(peak.readBack)}; ` +
          `read back ${done.complete}/${CLIENTS} complete in ${Number(done.seconds).toFixed(1)} s, ${done.mismatched} mismatched`,
      );
      expect(Number(stalled.budget)).toBe(BUDGET);
      expect(Number(stalled.sent)).toBeLessThan(CLIENTS * EACH);
      expect(pauses).toBeGreaterThan(0);
      expect(Number(done.peakQueued)).toBeLessThanOrEqual(BUDGET);
      expect(peak.flood).toBeLessThanOrEqual(bound);
      expect(done.mismatched).toBe(0);
      expect(done.complete).toBe(CLIENTS);
      expect(Number(/^echod_memory_queued_bytes (\S+)$/m.exec(after)?.[1])).toBe(0);
    } finally {
      client.kill("SIGKILL");
      for (const pid of pids.slice(1)) killQuietly(pid);
    }
  }, 200_000);
}
