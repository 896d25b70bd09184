/**
 * `--html FILE`: one run as a self-contained HTML page, drawn with Chart.js
 * as the compare chart is (bench/compare/chart.ts; its UMD build inlined,
 * so the page opens offline): messages and errors per second, and the
 * latency percentiles of each second, over the run, under the report's
 * tables. Its own copy of the inlining helpers: the harness ships in the
 * image without bench/compare. Chart.js is a development dependency, so
 * the page can be made only where it is installed (checked before the run).
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, resolve } from "node:path";
import type { BenchResult } from "./aggregate.ts";
import type { TimelinePoint } from "./live.ts";

/** Chart.js's UMD build, or an error naming what is missing. */
export function loadChartJs(): string {
  const require = createRequire(import.meta.url);
  try {
    // The package's exports map does not list the UMD build: find it next to the main entry.
    return readFileSync(resolve(dirname(require.resolve("chart.js")), "chart.umd.min.js"), "utf8");
  } catch (error) {
    throw new Error(
      `--html needs the chart.js package (a development dependency; npm install): ${(error as Error).message}`,
    );
  }
}

const escapeHtml = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
/** `</script` inside inlined code or JSON would end its script element. */
const inline = (s: string) => s.replace(/<\/script/gi, "<\\/script");

export function renderRunHtml(
  result: BenchResult,
  timeline: readonly TimelinePoint[],
  tables: string,
  chartJs: string,
): string {
  const data = {
    seconds: timeline.map((p) => p.second),
    messages: timeline.map((p) => p.messages),
    errors: timeline.map((p) => p.errors),
    p50: timeline.map((p) => p.latency.p50),
    p90: timeline.map((p) => p.latency.p90),
    p99: timeline.map((p) => p.latency.p99),
    max: timeline.map((p) => p.latency.max),
  };
  const title = `${result.title ? `${result.title}: ` : ""}echod-bench ${result.target}`;
  const verdict = result.thresholds
    ? `<p><strong>thresholds: ${result.thresholds.pass ? "pass" : "FAIL"}</strong></p>`
    : "";
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(title)}, ${escapeHtml(result.start)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px}figure{margin:2em 0}pre{font-size:12px}</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p>${escapeHtml(`${result.mode}, ${result.connections} connections x ${result.size} B, ${result.workers} worker(s), ${result.duration} s from ${result.start}`)}</p>
${verdict}
<figure><canvas id="rate"></canvas></figure>
<figure><canvas id="latency"></canvas></figure>
<pre>${escapeHtml(tables)}</pre>
<script>${inline(chartJs)}</script>
<script>
const data = ${inline(JSON.stringify(data))};
const line = (label, values, color) => ({ label, data: values, borderColor: color, backgroundColor: color, pointRadius: 2 });
new Chart(document.getElementById("rate"), {
  type: "line",
  data: { labels: data.seconds, datasets: [line("messages echoed", data.messages, "#1f77b4"), line("errors", data.errors, "#d62728")] },
  options: { animation: false, plugins: { title: { display: true, text: "Per second" } },
    scales: { x: { title: { display: true, text: "second of the run" } }, y: { beginAtZero: true } } },
});
new Chart(document.getElementById("latency"), {
  type: "line",
  data: { labels: data.seconds, datasets: [line("p50", data.p50, "#2ca02c"), line("p90", data.p90, "#ff7f0e"), line("p99", data.p99, "#d62728"), line("max", data.max, "#9467bd")] },
  options: { animation: false, plugins: { title: { display: true, text: "Latency of each second (ms)" } },
    scales: { x: { title: { display: true, text: "second of the run" } }, y: { type: "logarithmic", title: { display: true, text: "ms" } } } },
});
</script>
</body>
</html>
`;
}
