/**
 * The comparison's results as text: the table printed at the end of a run
 * (with echod's ratios to each baseline, the load average, skipped baselines
 * and failures) and the same tables in Markdown with the run's provenance,
 * written next to the chart for the README.
 */
import Table from "cli-table3";
import type { CompareReport } from "./record.ts";
import { type Ratio, rows, targetRows } from "./summary.ts";

function showRatio(r: Ratio | null): string {
  if (r === null) return "-";
  return r.rounds > 1 && r.min !== r.max ? `${r.median} (${r.min}-${r.max})` : String(r.median);
}

export function printCompareTable(report: CompareReport): string {
  const table = new Table({
    head: [
      "shape",
      "server",
      "msg/s",
      "MB/s",
      "p99 ms",
      "CPU s/GB",
      "CPU %",
      "RSS MiB",
      "harness CPU %",
      "errors",
      "x echod",
    ],
    style: { head: [], border: [] },
  });
  const show = (v: number | null) => (v === null ? "-" : v.toLocaleString("en-US"));
  for (const row of rows(report)) {
    table.push([
      row.shape,
      row.server,
      show(row.messagesPerSecond),
      show(row.megabytesPerSecond),
      show(row.p99Ms),
      show(row.cpuSecondsPerGB),
      show(row.cpuPercent),
      show(row.peakRssMiB),
      show(row.harnessCpuPercent),
      show(row.errors),
      show(row.ratio),
    ]);
  }
  const targets = new Table({
    head: ["shape", "echod / baseline", "msg/s", "p99", "CPU s/GB"],
    style: { head: [], border: [] },
  });
  for (const t of targetRows(report)) {
    targets.push([
      t.shape,
      t.baseline,
      showRatio(t.messagesPerSecond),
      showRatio(t.p99),
      showRatio(t.cpuPerGB),
    ]);
  }
  const lines = [
    table.toString(),
    `echod over each baseline, paired within each of ${report.settings.rounds} round(s): median (range)`,
    targets.toString(),
    `load average (1 min) at start ${report.loadAverage.start}, at end ${report.loadAverage.end}, on ${report.machine.cores} cores`,
  ];
  for (const s of report.skipped) lines.push(`skipped ${s.name}: ${s.reason}`);
  for (const run of report.runs)
    if (run.failure) lines.push(`${run.server} on ${run.shape}: ${run.failure}`);
  return `${lines.join("\n")}\n`;
}

/** The same table in Markdown, with the run's provenance, for the README (written as compare-TIME.md). */
export function markdownTable(report: CompareReport): string {
  const m = report.machine;
  const show = (v: number | null) => (v === null ? "-" : v.toLocaleString("en-US"));
  const lines = [
    `\`${report.command}\` at ${report.commit ?? "an unknown commit"}, ${report.date}: ${roundsText(report.settings.rounds)}${report.settings.duration} s per shape and server after a ${report.settings.warmup} s warmup, ${report.settings.pinned ? "server on core 0 and harness on core 1" : "not pinned"}, loopback.`,
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.kernel}; Bun ${m.bun}, Node ${m.node ?? "-"}, ${m.go ?? "no Go"}, ${m.cc ?? "no C compiler"}. Load average (1 min): ${report.loadAverage.start} at the start, ${report.loadAverage.end} at the end.`,
    "",
    "| shape | server | msg/s | MB/s | p99 ms | server CPU s/GB | server CPU % | server RSS MiB | harness CPU % | errors | msg/s vs echod |",
    "| --- | --- | --: | --: | --: | --: | --: | --: | --: | --: | --: |",
  ];
  for (const r of rows(report)) {
    lines.push(
      `| ${r.shape} | ${r.server} | ${show(r.messagesPerSecond)} | ${show(r.megabytesPerSecond)} | ${show(r.p99Ms)} | ${show(r.cpuSecondsPerGB)} | ${show(r.cpuPercent)} | ${show(r.peakRssMiB)} | ${show(r.harnessCpuPercent)} | ${show(r.errors)} | ${show(r.ratio)} |`,
    );
  }
  lines.push(
    "",
    `echod over each baseline, paired within each round${report.settings.rounds > 1 ? ": the median over rounds, with the range in brackets" : ""}:`,
    "",
    "| shape | baseline | echod msg/s ÷ baseline | echod p99 ÷ baseline | echod CPU s/GB ÷ baseline |",
    "| --- | --- | --: | --: | --: |",
  );
  for (const t of targetRows(report)) {
    lines.push(
      `| ${t.shape} | ${t.baseline} | ${showRatio(t.messagesPerSecond)} | ${showRatio(t.p99)} | ${showRatio(t.cpuPerGB)} |`,
    );
  }
  for (const s of report.skipped) lines.push("", `Skipped ${s.name}: ${s.reason}.`);
  return `${lines.join("\n")}\n`;
}

function roundsText(rounds: number): string {
  return rounds > 1
    ? `${rounds} rounds (each server once per round, taking turns to go first; medians over rounds), `
    : "";
}
