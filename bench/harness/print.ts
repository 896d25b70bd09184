/**
 * `printResult(result)` renders a report as the tables a person reads (the
 * CLI writes them to stderr); it returns a string and prints nothing, like
 * autocannon's. Latency, then per-second messages and bytes, then totals,
 * errors by class and, with --metrics-url, the server's side.
 */
import Table from "cli-table3";
import type { BenchResult, Throughput } from "./aggregate.ts";
import { HARNESS_BOUND } from "./cpu.ts";
import { ERROR_CLASSES, ERROR_MEANINGS } from "./errors.ts";
import type { LatencySummary } from "./histogram.ts";
import type { ThresholdVerdict } from "./thresholds.ts";

const plain = { head: [] as string[], border: [] as string[] };

function latencyTable(label: string, l: LatencySummary): string {
  const table = new Table({
    head: [label, "p50", "p90", "p99", "p99.9", "max", "mean", "stdev"],
    style: plain,
  });
  const ms = (v: number) => `${v} ms`;
  table.push([
    "",
    ms(l.p50),
    ms(l.p90),
    ms(l.p99),
    ms(l.p99_9),
    ms(l.max),
    ms(l.mean),
    ms(l.stdev),
  ]);
  return table.toString();
}

function rateRow(label: string, t: Throughput, format: (v: number) => string): string[] {
  return [
    label,
    format(t.p2_5),
    format(t.p50),
    format(t.p97_5),
    format(t.average),
    format(t.stdev),
    format(t.min),
  ];
}

export function formatCount(v: number): string {
  return Math.round(v).toLocaleString("en-US");
}

export function formatBytes(v: number): string {
  if (v >= 1024 ** 3) return `${(v / 1024 ** 3).toFixed(2)} GiB`;
  if (v >= 1024 ** 2) return `${(v / 1024 ** 2).toFixed(2)} MiB`;
  if (v >= 1024) return `${(v / 1024).toFixed(1)} KiB`;
  return `${Math.round(v)} B`;
}

const percent = (v: number) => `${Math.round(v * 100)}%`;

/** The harness's own load, and the harness-bound mark when a worker was (nearly) always busy. */
export function harnessLine(r: BenchResult): string {
  const cpu = r.workerCpu.map(percent).join(", ");
  const waits = r.workerWaiting.filter((w): w is number => w !== null);
  const waiting = waits.some((w) => w >= 0.05)
    ? ` (+ ${waits.map(percent).join(", ")} waiting for a core)`
    : "";
  const head = `Harness CPU per worker: ${cpu} of a core${waiting}`;
  return r.harnessBound
    ? `${head}. HARNESS-BOUND: a worker was busy >= ${percent(HARNESS_BOUND)} of the time, so these figures may be the harness's limit, not the server's`
    : `${head}; not harness-bound`;
}

export function printResult(r: BenchResult): string {
  const lines: string[] = [];
  const shape =
    r.mode === "churn"
      ? "churn"
      : r.stages
        ? `open loop in stages ${r.stages.map((s) => `${formatCount(s.rate)} msg/s for ${s.seconds} s`).join(", then ")}`
        : r.mode === "rate"
          ? `open loop at ${formatCount(r.rate ?? 0)} msg/s`
          : `pipelining ${r.pipelining}`;
  lines.push(
    `${r.title ? `${r.title}: ` : ""}${r.target}, ${r.connections} connections x ${formatBytes(r.size)}, ${shape}, ${r.workers} worker${r.workers === 1 ? "" : "s"}, ${r.duration} s`,
  );
  lines.push(latencyTable(r.mode === "rate" ? "Latency (from due time)" : "Latency", r.latency));
  if (r.churn) lines.push(latencyTable("Connect", r.churn.connectLatency));
  const rates = new Table({
    head: ["Per second", "2.5%", "50%", "97.5%", "Avg", "Stdev", "Min"],
    style: plain,
  });
  rates.push(rateRow("Messages", r.messages, formatCount));
  rates.push(rateRow("Bytes", r.bytes, formatBytes));
  // Over TLS each churned connection is one full handshake.
  const connections = r.transport === "tls" ? "TLS handshakes" : "Connections";
  if (r.churn) rates.push(rateRow(connections, r.churn.connections, formatCount));
  lines.push(rates.toString());
  lines.push(
    `${formatCount(r.messages.total)} messages (${formatBytes(r.bytes.total)}) echoed and verified in ${r.duration} s` +
      (r.churn
        ? `; ${formatCount(r.churn.connections.total)} ${connections.toLowerCase().replace("tls", "TLS")}`
        : ""),
  );
  if (r.errorsTotal === 0) {
    lines.push("0 errors");
  } else {
    const errors = new Table({ head: ["Error", "Count", "Meaning"], style: plain });
    for (const k of ERROR_CLASSES)
      if (r.errors[k] > 0) errors.push([k, formatCount(r.errors[k]), ERROR_MEANINGS[k]]);
    lines.push(`${formatCount(r.errorsTotal)} errors`, errors.toString());
  }
  lines.push(harnessLine(r));
  if (r.server) {
    const s = r.server;
    const show = (v: number | null, f: (n: number) => string) => (v === null ? "n/a" : f(v));
    const server = new Table({ head: ["Server (from /metrics)", "Value"], style: plain });
    server.push(
      ["CPU seconds", show(s.cpuSeconds, (v) => v.toFixed(2))],
      ["Peak RSS", show(s.peakRssBytes, formatBytes)],
      ["Backpressure pauses", show(s.backpressurePauses, formatCount)],
      ["Rejected connections", show(s.rejectedConnections, formatCount)],
    );
    lines.push(server.toString());
  }
  if (r.thresholds) lines.push(thresholdTable(r.thresholds));
  return `${lines.join("\n")}\n`;
}

function thresholdTable(v: ThresholdVerdict): string {
  const table = new Table({ head: ["Threshold", "Measured", "Result"], style: plain });
  for (const c of v.checks) {
    const value =
      c.unit === "B/s"
        ? `${formatBytes(c.measured)}/s`
        : `${c.measured}${c.unit ? ` ${c.unit}` : ""}`;
    table.push([c.expression, value, c.pass ? "pass" : "FAIL"]);
  }
  const head = v.abortedBy
    ? `thresholds: FAIL (run stopped early: ${v.abortedBy} could no longer pass)`
    : `thresholds: ${v.pass ? "pass" : "FAIL"}`;
  return `${head}\n${table.toString()}`;
}
