#!/usr/bin/env bun
/**
 * What does a listener started with --control (and no fault set) cost per
 * chunk, next to the raw handlers? Loopback runs (bench/hot-path.ts) carry
 * the kernel's and the machine's noise; this measures the handlers alone, in
 * process: one connection on a stand-in socket whose write takes every
 * byte, `--chunks` data calls of `--size` bytes per round, rounds
 * alternating raw and control, median nanoseconds per chunk of each and
 * their ratio. One JSON line per round, then a summary line.
 *
 *   bun bench/studies/control-chunk-cost.ts --rounds 9 --chunks 2000000 --size 1024
 */
import type { SocketHandler } from "bun";
import { resolveConfig } from "../../src/config.ts";
import type { Connection } from "../../src/echo/connection.ts";
import { createEchoContext, type EchoContext } from "../../src/echo/context.ts";
import { createPlanHolder } from "../../src/echo/faults/holder.ts";
import { createFaultHandlers } from "../../src/echo/faults/pipeline.ts";
import { createFaultPlan, type FaultPlan } from "../../src/echo/faults/plan.ts";
import { createHandlers } from "../../src/echo/handlers.ts";
import { scriptArgs, textOption } from "../common/cli.ts";

const values = scriptArgs<Record<"rounds" | "chunks" | "size", string>>({
  name: "control-chunk-cost",
  usage:
    "bun bench/studies/control-chunk-cost.ts [options]\n\nPer-chunk cost of the raw and the --control handlers.",
  options: {
    rounds: textOption("9", "Rounds; each runs both, in alternating order"),
    chunks: textOption("2000000", "Data calls per run"),
    size: textOption("1024", "Bytes per chunk"),
  },
});

function context(): EchoContext {
  return createEchoContext(10, { highWater: 1 << 20, lowWater: 1 << 19 });
}

/** Nanoseconds per data call on one stand-in connection. */
function run(side: "raw" | "control", chunks: number, chunk: Buffer): number {
  const ctx = context();
  const config = resolveConfig({ control: side === "control", metricsHost: "127.0.0.1" });
  const plan = createFaultPlan(config) as FaultPlan | null;
  const handlers: SocketHandler<Connection> =
    plan === null ? createHandlers(ctx) : createFaultHandlers(ctx, createPlanHolder(plan));
  const socket = {
    data: undefined as unknown as Connection,
    remoteAddress: "127.0.0.1",
    remotePort: 1,
    write: (bytes: Uint8Array) => bytes.length,
    pause() {},
    resume() {},
    end() {},
  };
  const s = socket as unknown as Parameters<NonNullable<typeof handlers.open>>[0];
  handlers.open?.(s);
  const started = Bun.nanoseconds();
  for (let i = 0; i < chunks; i++) handlers.data?.(s, chunk);
  const ns = (Bun.nanoseconds() - started) / chunks;
  if (ctx.stats.sentBytes !== chunks * chunk.length)
    throw new Error(`${side}: not every byte echoed`);
  return ns;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const rounds = Number(values.rounds);
const chunks = Number(values.chunks);
// Not released by the handlers (under RELEASE_AT): one buffer serves every call.
const chunk = Buffer.alloc(Number(values.size), 120);
const results = { raw: [] as number[], control: [] as number[] };
for (let round = 0; round < rounds; round++) {
  const order = round % 2 === 0 ? (["raw", "control"] as const) : (["control", "raw"] as const);
  for (const side of order) {
    const ns = run(side, chunks, chunk);
    results[side].push(ns);
    process.stdout.write(`${JSON.stringify({ round, side, nsPerChunk: Number(ns.toFixed(1)) })}\n`);
  }
}
const raw = median(results.raw);
const control = median(results.control);
process.stdout.write(
  `${JSON.stringify({ summary: true, rawNs: Number(raw.toFixed(1)), controlNs: Number(control.toFixed(1)), ratio: Number((control / raw).toFixed(3)) })}\n`,
);
