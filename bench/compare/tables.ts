/**
 * The comparison's results as text: the four parts (capacity, fixed rate,
 * harness ceiling, start-up), each as a table with echod's ratios to each
 * baseline where they apply, then the load average, skipped baselines and
 * failures. The same tables print for the terminal (cli-table3) and as
 * Markdown with the run's provenance (written as compare-TIME.md), built from
 * one list of sections so the two never differ.
 */
import Table from "cli-table3";
import type { CompareReport } from "./record.ts";
import { harnessRows, median, type Ratio, rows, targetRows } from "./summary.ts";

interface Section {
  readonly title: string;
  readonly head: readonly string[];
  readonly body: readonly (readonly string[])[];
}

const show = (v: number | null | undefined) =>
  v === null || v === undefined ? "-" : v.toLocaleString("en-US");

/** Columns of names, left-aligned in Markdown; the rest are numbers. */
const TEXT_COLUMNS = new Set(["shape", "server", "baseline"]);

function showRatio(r: Ratio | null): string {
  if (r === null) return "-";
  return r.rounds > 1 && r.min !== r.max ? `${r.median} (${r.min}-${r.max})` : String(r.median);
}

function sections(report: CompareReport): Section[] {
  const out: Section[] = [];
  const paired = `paired within each of ${report.settings.rounds} round(s): median (range)`;
  const parts = report.settings.parts;
  if (parts.includes("capacity")) {
    out.push({
      title: "Capacity: each server driven flat out by the reference generator (epoll-load)",
      head: [
        "shape",
        "server",
        "msg/s",
        "MB/s",
        "p99 ms",
        "server CPU µs/msg",
        "server CPU %",
        "server RSS MiB",
        "load CPU %",
        "errors",
        "msg/s vs echod",
      ],
      body: rows(report, "capacity").map((r) => [
        r.shape,
        r.server,
        show(r.messagesPerSecond),
        show(r.megabytesPerSecond),
        show(r.p99Ms),
        show(r.cpuMicrosPerMessage),
        show(r.cpuPercent),
        show(r.peakRssMiB),
        show(r.harnessCpuPercent),
        show(r.errors),
        show(r.ratio),
      ]),
    });
    out.push({
      title: `Capacity, echod over each baseline, ${paired}`,
      head: [
        "shape",
        "baseline",
        "echod msg/s ÷ baseline",
        "echod p99 ÷ baseline",
        "echod CPU/msg ÷ baseline",
      ],
      body: targetRows(report, "capacity").map((t) => [
        t.shape,
        t.baseline,
        showRatio(t.messagesPerSecond),
        showRatio(t.p99),
        showRatio(t.cpuPerMessage),
      ]),
    });
  }
  if (parts.includes("fixed-rate")) {
    out.push({
      title:
        "Fixed rate: every server at the same open-loop rate (half the slowest server's capacity on the shape)",
      head: [
        "shape",
        "rate msg/s",
        "server",
        "msg/s",
        "p99 ms",
        "server CPU µs/msg",
        "server CPU %",
        "errors",
      ],
      body: rows(report, "fixed-rate").map((r) => [
        r.shape,
        show(report.fixedRates[r.shape]),
        r.server,
        show(r.messagesPerSecond),
        show(r.p99Ms),
        show(r.cpuMicrosPerMessage),
        show(r.cpuPercent),
        show(r.errors),
      ]),
    });
    out.push({
      title: `Fixed rate, echod over each baseline, ${paired}`,
      head: ["shape", "baseline", "echod p99 ÷ baseline", "echod CPU/msg ÷ baseline"],
      body: targetRows(report, "fixed-rate").map((t) => [
        t.shape,
        t.baseline,
        showRatio(t.p99),
        showRatio(t.cpuPerMessage),
      ]),
    });
  }
  if (parts.includes("harness")) {
    out.push({
      title: `Harness ceiling: echod-bench and the generator in turn on the C server; echod-bench's rate over the generator's, ${paired}`,
      head: [
        "shape",
        "epoll-load msg/s",
        "echod-bench msg/s",
        "echod-bench ÷ epoll-load",
        "harness-bound (rounds)",
      ],
      body: harnessRows(report).map((h) => [
        h.shape,
        show(h.generatorMessagesPerSecond),
        show(h.benchMessagesPerSecond),
        showRatio(h.ratio),
        h.harnessBound ? `${h.harnessBound.marked} of ${h.harnessBound.of}` : "not reported",
      ]),
    });
  }
  if (parts.includes("startup")) {
    const body = report.startup.map((s, i) => {
      const late = s.seconds.slice(4, 8);
      return [
        String(i + 1),
        show(s.firstEchoMs),
        show(s.readyMs),
        show(Math.round(s.seconds[0]?.messagesPerSecond ?? Number.NaN) || null),
        show(s.seconds[0]?.p99),
        show(
          Math.round(late.reduce((sum, x) => sum + x.messagesPerSecond, 0) / (late.length || 1)) ||
            null,
        ),
        show(median(late.map((x) => x.p99))),
        show(s.firstP99Ratio),
        show(s.firstRateRatio),
      ];
    });
    out.push({
      title:
        "Start-up: echod (metrics on), 50 x 64 B ping-pong from the moment its port accepts (targets: p99 ratio <= 1.5, rate ratio >= 0.8)",
      head: [
        "run",
        "first echo ms",
        "/readyz 200 ms",
        "1st s msg/s",
        "1st s p99 ms",
        "s 5-8 msg/s (mean)",
        "s 5-8 p99 ms (median)",
        "p99 1st ÷ 5-8",
        "msg/s 1st ÷ 5-8",
      ],
      body,
    });
  }
  return out;
}

function footer(report: CompareReport): string[] {
  const lines = [
    `load average (1 min) at start ${report.loadAverage.start}, at end ${report.loadAverage.end}, on ${report.machine.cores} cores`,
  ];
  for (const s of report.skipped) lines.push(`skipped ${s.name}: ${s.reason}`);
  for (const run of report.runs)
    if (run.failure) lines.push(`${run.part}: ${run.server} on ${run.shape}: ${run.failure}`);
  report.startup.forEach((s, i) => {
    if (s.failure) lines.push(`startup run ${i + 1}: ${s.failure}`);
  });
  return lines;
}

export function printCompareTable(report: CompareReport): string {
  const lines: string[] = [];
  for (const s of sections(report)) {
    const table = new Table({ head: [...s.head], style: { head: [], border: [] } });
    for (const row of s.body) table.push([...row]);
    lines.push(s.title, table.toString());
  }
  return `${[...lines, ...footer(report)].join("\n")}\n`;
}

/** The same tables in Markdown, with the run's provenance, for docs/performance.md (written as compare-TIME.md). */
export function markdownTable(report: CompareReport): string {
  const m = report.machine;
  const st = report.settings;
  const lines = [
    `\`${report.command}\` at ${report.commit ?? "an unknown commit"}, ${report.date}: ${st.rounds > 1 ? `${st.rounds} rounds (each server once per round, taking turns to go first; medians over rounds), ` : ""}${st.duration} s per run after ${st.settle} s idle and a ${st.warmup} s warmup, ${st.pinned ? "server on core 0 and load on core 1" : "not pinned"}, loopback.`,
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.kernel}; Bun ${m.bun}, Node ${m.node ?? "-"}, ${m.go ?? "no Go"}, ${m.cc ?? "no C compiler"}. Load average (1 min): ${report.loadAverage.start} at the start, ${report.loadAverage.end} at the end.`,
  ];
  for (const s of sections(report)) {
    lines.push(
      "",
      `${s.title}:`,
      "",
      `| ${s.head.join(" | ")} |`,
      `| ${s.head.map((h) => (TEXT_COLUMNS.has(h) ? "---" : "--:")).join(" | ")} |`,
    );
    for (const row of s.body) lines.push(`| ${row.join(" | ")} |`);
  }
  for (const s of report.skipped) lines.push("", `Skipped ${s.name}: ${s.reason}.`);
  return `${lines.join("\n")}\n`;
}
