/**
 * The CPU echod-bench's own code spends per read, without the network: the
 * engine's real `data` handler, fed the echo it expects (every byte still
 * verified, latency still recorded), on a fake socket whose `write` takes
 * everything. What is left of a real run's CPU per read is Bun's and the
 * kernel's. Thread CPU time per call, for each checkout given.
 *
 *   bun bench/studies/harness-per-read.ts [--tree DIR]... [--size 64] [--pipelining 16] [--reads 1000000]
 *
 * `--tree` defaults to this checkout; give two to compare (an older one from
 * `git worktree add /tmp/before COMMIT && ln -s $PWD/node_modules /tmp/before/`).
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    tree: { type: "string", multiple: true },
    size: { type: "string", default: "64" },
    pipelining: { type: "string", default: "16" },
    reads: { type: "string", default: "1000000" },
    rounds: { type: "string", default: "3" },
  },
});
const trees = values.tree ?? [resolve(import.meta.dir, "../..")];
const size = Number(values.size);
const pipelining = Number(values.pipelining);
const reads = Number(values.reads);

/** ns of thread CPU per `data` call of the engine in `tree`, over `rounds` rounds. */
async function perRead(tree: string): Promise<number[]> {
  const h = `${resolve(tree)}/bench/harness`;
  const { createHandlers } = await import(`${h}/engine-handlers.ts`);
  const { Conn } = await import(`${h}/engine-conn.ts`);
  const { createPattern } = await import(`${h}/payload.ts`);
  const { createHistogram } = await import(`${h}/histogram.ts`);
  const { createErrorCounts } = await import(`${h}/errors.ts`);
  const pattern = createPattern(size);
  const o = {
    host: "127.0.0.1",
    port: 1,
    connections: 1,
    pipelining,
    duration: 1,
    amount: null,
    warmup: 0,
    timeout: 10,
    rate: null,
    churn: false,
    banner: 0,
    connectRate: null,
    channelLifetime: null,
    stages: null,
    firstConnection: 0,
  };
  const run = {
    o,
    pattern,
    size,
    cycle: pattern.bytes.length,
    latency: createHistogram(),
    connectLatency: createHistogram(),
    errors: createErrorCounts(),
    handlers: createHandlers(),
    interval: 0,
    phase: "measure",
    budget: Number.POSITIVE_INFINITY,
    messages: 0,
    bytes: 0,
    connects: 0,
    live: 1,
    lastProgress: 0,
    finish() {},
  };
  const conn = new Conn(run, 0);
  const socket = {
    data: conn,
    write: (_b: Buffer, _o: number, length: number) => length,
    end() {},
    terminate() {},
  };
  run.handlers.open(socket);
  // Each read echoes one whole pipeline, as the runs against a fast server do.
  const batch = size * pipelining;
  const cycle = pattern.bytes.length;
  const chunks: Buffer[] = [];
  for (let at = conn.readOffset, n = 0; n < cycle; n += batch, at = (at + batch) % cycle) {
    const b = Buffer.alloc(batch);
    for (let i = 0; i < batch; i++) b[i] = pattern.bytes[(at + i) % cycle] as number;
    chunks.push(b);
  }
  const results: number[] = [];
  let next = 0;
  for (let r = 0; r < Number(values.rounds) + 1; r++) {
    const c0 = process.threadCpuUsage();
    for (let i = 0; i < reads; i++) run.handlers.data(socket, chunks[next++ % chunks.length]);
    const c = process.threadCpuUsage(c0);
    if (r > 0) results.push(Math.round(((c.user + c.system) * 1000) / reads));
  }
  if (run.errors.mismatch > 0 || run.messages !== (Number(values.rounds) + 1) * reads * pipelining)
    throw new Error(
      `${tree}: the engine did not verify every read (${JSON.stringify(run.errors)})`,
    );
  return results;
}

for (const tree of trees) {
  const ns = await perRead(tree);
  console.log(
    `${tree}: ${ns.join(", ")} ns of CPU per read (${pipelining} x ${size} B, ${reads} reads per round)`,
  );
}
