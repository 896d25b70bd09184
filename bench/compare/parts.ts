/**
 * The order of bench:compare's runs. Per shape: capacity rounds (each round
 * starts with a different server, so none always runs first or last), then
 * fixed-rate rounds at half the slowest server's median capacity, then the
 * harness-ceiling rounds on the C server; after every shape, the start-up
 * runs of echod. Each run gets a loopback address of its own.
 */
import type { CompareRun } from "./record.ts";
import { type Cpus, runOne } from "./run-one.ts";
import { ROOT, type ServerSpec } from "./servers.ts";
import type { Settings } from "./settings.ts";
import type { Shape } from "./shapes.ts";
import { measureStartup, type StartupRun } from "./startup.ts";
import { capacities } from "./summary.ts";

export interface PartsPlan {
  readonly settings: Settings;
  readonly shapes: readonly Shape[];
  readonly servers: readonly ServerSpec[];
  /** The C server for the harness ceiling, or null when it could not be built. */
  readonly c: ServerSpec | null;
  readonly cpus: Cpus;
  readonly generator: string;
  readonly log: (text: string) => void;
}

export async function runParts(plan: PartsPlan): Promise<{
  runs: CompareRun[];
  fixedRates: Record<string, number>;
  startup: StartupRun[];
}> {
  const { settings, servers, log } = plan;
  const parts = settings.parts;
  const runs: CompareRun[] = [];
  const fixedRates: Record<string, number> = {};
  // A loopback address of its own for each run: the TIME_WAIT sockets one run leaves
  // behind must not slow the next run's connects.
  let next = 0;
  const host = () => {
    const n = next++;
    return `127.0.${1 + Math.floor(n / 250)}.${1 + (n % 250)}`;
  };
  const run = async (
    part: CompareRun["part"],
    shape: Shape,
    round: number,
    spec: ServerSpec,
    rate: number | null,
  ) => {
    log(`${part} ${shape.name} / ${spec.name}${settings.rounds > 1 ? ` (round ${round})` : ""}: `);
    const done = await runOne({
      part,
      shape,
      round,
      spec,
      settings,
      cpus: plan.cpus,
      host: host(),
      generator: plan.generator,
      rate,
    }).catch((error: Error): CompareRun[] => [
      {
        part,
        shape: shape.name,
        server: spec.name,
        round,
        result: null,
        failure: error.message,
        serverCpuSeconds: null,
        serverPeakRssBytes: null,
        harnessCpuPercent: null,
      },
    ]);
    runs.push(...done);
    log(
      `${done
        .map((r) =>
          r.result
            ? `${part === "harness" ? `${r.server} ` : ""}${Math.round(r.result.messagesPerSecond).toLocaleString("en-US")} msg/s, p99 ${r.result.p99Ms} ms${r.serverCpuSeconds !== null ? `, server CPU ${r.serverCpuSeconds} s` : ""}${r.failure ? ` (${r.failure})` : ""}`
            : `failed: ${r.failure}`,
        )
        .join("; ")}\n`,
    );
  };
  const rounds = async (
    part: CompareRun["part"],
    shape: Shape,
    specs: readonly ServerSpec[],
    rate: number | null,
  ) => {
    for (let round = 1; round <= settings.rounds; round++) {
      const turn = (round - 1) % specs.length;
      for (const spec of [...specs.slice(turn), ...specs.slice(0, turn)])
        await run(part, shape, round, spec, rate);
    }
  };
  for (const shape of plan.shapes) {
    // The fixed rate is set by the capacities, so asking for it runs the capacity part too.
    if (parts.includes("capacity") || parts.includes("fixed-rate"))
      await rounds("capacity", shape, servers, null);
    if (parts.includes("fixed-rate")) {
      const lowest = Math.min(...capacities(runs, shape.name).values());
      if (Number.isFinite(lowest) && lowest > 0) {
        fixedRates[shape.name] = Math.floor(lowest / 2);
        await rounds("fixed-rate", shape, servers, fixedRates[shape.name] as number);
      }
    }
    if (parts.includes("harness") && plan.c) await rounds("harness", shape, [plan.c], null);
  }
  const startup: StartupRun[] = [];
  if (parts.includes("startup")) {
    for (let round = 1; round <= settings.rounds; round++) {
      log(`startup echod (round ${round}): `);
      const s = await measureStartup({
        tree: ROOT,
        generator: plan.generator,
        cpus: plan.cpus,
        seconds: settings.startupSeconds,
        connections: 50,
        size: 64,
      });
      startup.push(s);
      log(
        `first echo ${s.firstEchoMs} ms, p99 first/5-8 ${s.firstP99Ratio}, rate ${s.firstRateRatio}${s.failure ? ` (${s.failure})` : ""}\n`,
      );
    }
  }
  return { runs, fixedRates, startup };
}
