/**
 * Tiny segments must not multiply memory. Bun hands each read to echod in a
 * buffer of its own, so a peer that sends 1-byte segments used to cost one
 * object per byte held (57 MiB of RSS per MiB queued; 2.86 MiB held in
 * framers cost 367 MiB). trickle-client.py sends single bytes (one send, one
 * segment each, TCP_NODELAY) and reads nothing.
 * echod's RSS growth must stay within 2 x the bytes it holds
 * (echod_buffered_bytes, which counts what the framers hold too) plus
 * PER_CONNECTION for each connection plus GC_ALLOWANCE for read buffers
 * already copied and dropped but not yet collected (Bun allocates one per
 * read): the bound SECURITY.md documents.
 * Then every client reads and gets its bytes back, byte-exact.
 *
 * On the host's loopback the kernel would absorb about 4 MiB per connection
 * first (tcp_wmem autotuning), so each case runs in a network namespace of
 * its own with send buffers of at most 64 KiB (test/helpers/netns.ts).
 */
import { expect, test } from "bun:test";
import { resolve } from "node:path";
import { createNetns, type Netns, netnsAfterEach } from "../helpers/netns.ts";
import { parseSamples } from "../helpers/prom-text.ts";
import {
  type Echod,
  killedAfterEach,
  LOOPBACK_WITH_ADMIN,
  spawnEchod,
} from "../helpers/spawn-echod.ts";
import { cpuSeconds, rssBytes, total } from "./tools.ts";

/** The documented allowance per connection: two 16 KiB coalescing blocks, Bun's socket state and slack. */
const PER_CONNECTION = 256 * 1024;
const GC_ALLOWANCE = 8 * 1024 * 1024;
/** While queues drain, read buffers echoed but not yet collected (SECURITY.md). */
const DRAIN_ALLOWANCE = 64 * 1024 * 1024;
const MIB = 1024 * 1024;
const CLIENT = resolve(import.meta.dir, "trickle-client.py");

const running = killedAfterEach();
const namespaces = netnsAfterEach();

interface InNetns {
  readonly echod: Echod;
  readonly pid: number;
  readonly ns: Netns;
  /** A scrape of its /metrics from inside the namespace. */
  readonly metrics: () => Promise<Map<string, number>>;
  /** Its RSS after one scrape, the baseline the growth is measured from. */
  readonly base: number;
}

/** An echod in a fresh namespace, scraped once so the baseline RSS includes the scrape's own cost. */
async function startInNetns(args: string[]): Promise<InNetns> {
  const ns = await createNetns();
  namespaces.push(ns);
  const echod = await spawnEchod([...LOOPBACK_WITH_ADMIN, ...args], { prefix: ns.prefix });
  running.push(echod);
  const url = `http://127.0.0.1:${echod.metricsPort}/metrics`;
  const metrics = async () => parseSamples(await ns.get(url));
  await metrics();
  const pid = echod.proc.pid;
  return { echod, pid, ns, metrics, base: rssBytes(pid) };
}

/** Runs trickle-client.py; `sent()` resolves once it stops sending, `readBack()` when it has read. */
function startTrickle(
  ns: Netns,
  port: number,
  connections: number,
  limit: number,
  prefix = "",
  noLf = false,
  writeSize = 1,
  untilStop = false,
) {
  const proc = Bun.spawn(
    [
      ...ns.prefix,
      "python3",
      CLIENT,
      String(port),
      String(connections),
      String(limit),
      prefix || "",
      noLf ? "1" : "0",
      String(writeSize),
      untilStop ? "until-stop" : "-",
    ],
    { stdin: "pipe", stdout: "pipe", stderr: "inherit" },
  );
  const reader = proc.stdout.getReader();
  let buffered = "";
  const nextLine = async (): Promise<Record<string, unknown>> => {
    for (;;) {
      const nl = buffered.indexOf("\n");
      if (nl >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        return JSON.parse(line);
      }
      const { value, done } = await reader.read();
      if (done) throw new Error("trickle client ended early");
      buffered += new TextDecoder().decode(value);
    }
  };
  return {
    proc,
    stop: () => {
      proc.stdin.write("stop\n");
      proc.stdin.flush();
    },
    sent: async () => (await nextLine()).sent as number[],
    readBack: async (suffixHex: string, expect: number) => {
      proc.stdin.write(`read ${suffixHex || "-"} ${expect}\n`);
      proc.stdin.flush();
      const result = await nextLine();
      return result as { received: number[]; mismatched: boolean[] };
    },
  };
}

/** echod_buffered_bytes once it stops changing (the flood has settled). */
async function settledBuffered(metrics: () => Promise<Map<string, number>>): Promise<number> {
  let last = -1;
  for (let i = 0; i < 40; i++) {
    const now = total(await metrics(), "echod_buffered_bytes");
    if (now === last) return now;
    last = now;
    await Bun.sleep(250);
  }
  return last;
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

test("4 non-reading clients trickling 1-byte segments until echod pauses them at --max-buffer 256KiB: RSS growth within 2 x held + 256 KiB each + 8 MiB, then every byte back", async () => {
  // 1-byte segments cost about 7 us each end to end: a 256 KiB mark keeps this to ~1.5 M segments.
  const { echod, ns, metrics, base } = await startInNetns(["--max-buffer", "256KiB"]);
  const client = startTrickle(ns, echod.port, 4, 4 * MIB, "", false, 1, true);
  // Until echod has paused all four (TCP's zero-window probes back off, so a
  // blocked client is not yet a paused one), then a little more.
  const deadline = performance.now() + 60_000;
  while (performance.now() < deadline) {
    if (total(await metrics(), "echod_backpressure_pauses_total") >= 4) break;
    await Bun.sleep(200);
  }
  await Bun.sleep(500);
  client.stop();
  const sent = await client.sent();
  const held = await settledBuffered(metrics);
  const m = await metrics();
  const growth = rssBytes(echod.proc.pid) - base;
  console.log(
    `trickle raw: 4 clients sent ${(sum(sent) / MIB).toFixed(2)} MiB in 1-byte segments, echod holds ${(held / MIB).toFixed(2)} MiB, RSS +${(growth / MIB).toFixed(1)} MiB, pauses ${total(m, "echod_backpressure_pauses_total")}`,
  );
  expect(total(m, "echod_backpressure_pauses_total")).toBeGreaterThanOrEqual(4);
  expect(held).toBeGreaterThan(MIB); // each paused past the 256 KiB mark
  expect(growth).toBeLessThanOrEqual(2 * held + 4 * PER_CONNECTION + GC_ALLOWANCE);

  const back = await client.readBack("", Math.max(...sent));
  sent.forEach((n, k) => {
    expect(back.received[k]).toBe(n);
    expect(back.mismatched[k]).toBe(false);
  });
}, 120_000);

test("--framing length-prefixed: a 1 MiB header then a 1-byte trickle on 10 connections: held bytes counted as buffered, RSS growth within 2 x held + 256 KiB each + 8 MiB", async () => {
  const { echod, ns, metrics, base } = await startInNetns(["--framing", "length-prefixed"]);
  const PER = 300 * 1024;
  const client = startTrickle(ns, echod.port, 10, PER, "00100000"); // announces 1 MiB
  const sent = await client.sent();
  const held = await settledBuffered(metrics);
  const growth = rssBytes(echod.proc.pid) - base;
  console.log(
    `trickle length-prefixed: 10 x ${PER / 1024} KiB into announced 1 MiB frames, buffered ${(held / MIB).toFixed(2)} MiB, RSS +${(growth / MIB).toFixed(1)} MiB`,
  );
  expect(sent).toEqual(Array(10).fill(PER));
  expect(held).toBe(10 * PER);
  expect(growth).toBeLessThanOrEqual(2 * held + 10 * PER_CONNECTION + GC_ALLOWANCE);
  // Nothing is echoed before the frame is whole; the rest completes it.
  const rest = Buffer.alloc(MIB + 4 - PER);
  for (let i = 0; i < rest.length; i++) rest[i] = ((PER + i) * 7 + 3) & 0xff;
  const back = await client.readBack(rest.toString("hex"), MIB + 4);
  expect(back.received).toEqual(Array(10).fill(MIB + 4));
  expect(back.mismatched).toEqual(Array(10).fill(false));
  expect(total(await metrics(), "echod_buffered_bytes")).toBe(0);
}, 120_000);

test("--framing line: 1 MiB trickled without a newline is held as bytes and counted as buffered; the newline brings it all back", async () => {
  const { echod, ns, metrics, base } = await startInNetns([
    "--framing",
    "line",
    "--max-message-size",
    "2MiB",
  ]);
  const client = startTrickle(ns, echod.port, 1, MIB, "", true);
  const sent = await client.sent();
  const held = await settledBuffered(metrics);
  const growth = rssBytes(echod.proc.pid) - base;
  console.log(
    `trickle line: ${((sent[0] ?? 0) / MIB).toFixed(2)} MiB without a newline, buffered ${(held / MIB).toFixed(2)} MiB, RSS +${(growth / MIB).toFixed(1)} MiB`,
  );
  expect(sent).toEqual([MIB]);
  expect(held).toBe(MIB);
  expect(growth).toBeLessThanOrEqual(2 * held + PER_CONNECTION + GC_ALLOWANCE);
  const back = await client.readBack("0a", MIB + 1);
  expect(back).toEqual({ received: [MIB + 1], mismatched: [false] });
}, 120_000);

test("--framing line: 64 MiB of empty lines through nc come back whole, with RSS growth under 64 MiB and under 10 CPU-seconds", async () => {
  const { echod, pid, ns, metrics, base } = await startInNetns(["--framing", "line"]);
  const cpuBefore = cpuSeconds(pid);
  let peak = base;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      peak = Math.max(peak, rssBytes(pid));
      await Bun.sleep(50);
    }
  })();
  const started = performance.now();
  // Count what comes back, and the bytes that are not newlines (must be none).
  const nc = Bun.spawn(
    [
      ...ns.prefix,
      "bash",
      "-c",
      `head -c ${64 * MIB} /dev/zero | tr '\\0' '\\n' | timeout 60 nc -N 127.0.0.1 ${echod.port} | tee >(wc -c >&2) | tr -d '\\n' | wc -c`,
    ],
    { stdout: "pipe", stderr: "pipe" },
  );
  const [notNewline, received] = await Promise.all([
    new Response(nc.stdout).text(),
    new Response(nc.stderr).text(),
  ]);
  await nc.exited;
  const seconds = (performance.now() - started) / 1000;
  sampling = false;
  await sampler;
  const cpu = cpuSeconds(pid) - cpuBefore;
  console.log(
    `64 MiB of empty lines: ${seconds.toFixed(1)} s, ${cpu.toFixed(1)} CPU-seconds in echod, RSS peak +${((peak - base) / MIB).toFixed(1)} MiB`,
  );
  expect(Number(received.trim())).toBe(64 * MIB);
  expect(Number(notNewline.trim())).toBe(0);
  expect(total(await metrics(), "echod_messages_total")).toBe(64 * MIB);
  expect(peak - base).toBeLessThan(64 * MIB);
  expect(cpu).toBeLessThan(10);
}, 120_000);

test("300 non-reading clients sending up to 4 MiB each (until blocked) at --max-buffer 64KiB: RSS while paused within base + 300 x (64 KiB + 512 KiB), while draining within that + 64 MiB, then every byte back", async () => {
  const { echod, pid, ns, metrics, base } = await startInNetns(["--max-buffer", "64KiB"]);
  const bound = 300 * (64 * 1024 + 512 * 1024);
  const peak = { paused: base, draining: base };
  let phase: "paused" | "draining" = "paused";
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      peak[phase] = Math.max(peak[phase], rssBytes(pid));
      await Bun.sleep(20);
    }
  })();
  const client = startTrickle(ns, echod.port, 300, 4 * MIB, "", false, 256 * 1024);
  const sent = await client.sent();
  const held = await settledBuffered(metrics);
  const pauses = total(await metrics(), "echod_backpressure_pauses_total");
  phase = "draining";
  const back = await client.readBack("", Math.max(...sent));
  sampling = false;
  await sampler;
  console.log(
    `300 x 4 MiB non-reading: sent ${(sum(sent) / MIB).toFixed(0)} MiB, held ${(held / MIB).toFixed(1)} MiB, pauses ${pauses}; RSS over base while paused +${((peak.paused - base) / MIB).toFixed(1)} MiB, while draining +${((peak.draining - base) / MIB).toFixed(1)} MiB (bound +${(bound / MIB).toFixed(1)} MiB)`,
  );
  expect(pauses).toBeGreaterThanOrEqual(300);
  expect(peak.paused - base).toBeLessThanOrEqual(bound);
  // Draining, read buffers already echoed wait for the collector (those under 16 KiB are not
  // freed at once): the documented allowance on top of the queue bound.
  expect(peak.draining - base).toBeLessThanOrEqual(bound + DRAIN_ALLOWANCE);
  expect(back.received).toEqual(sent);
  expect(back.mismatched.filter(Boolean)).toEqual([]);
}, 180_000);
