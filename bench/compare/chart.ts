/**
 * The comparison as a chart: one self-contained HTML file (Chart.js's UMD
 * build inlined from node_modules, so it opens offline) with two grouped bar
 * charts, messages/s and p99 latency, per shape and server, on log scales
 * because the shapes differ by orders of magnitude.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, resolve } from "node:path";
import type { CompareReport } from "./report.ts";
import { rows } from "./report.ts";

const COLORS = ["#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"];

function chartJs(): string {
  // The package's exports map does not list the UMD build: find it next to the main entry.
  const require = createRequire(import.meta.url);
  return readFileSync(resolve(dirname(require.resolve("chart.js")), "chart.umd.min.js"), "utf8");
}

/** Escapes text for HTML, and `</script` so inlined JSON and code cannot end their script element. */
const escapeHtml = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const inline = (s: string) => s.replace(/<\/script/gi, "<\\/script");

export function renderChartHtml(report: CompareReport): string {
  const table = rows(report);
  const shapes = [...new Set(table.map((r) => r.shape))];
  const servers = [...new Set(table.map((r) => r.server))];
  const dataset = (key: "messagesPerSecond" | "p99Ms") =>
    servers.map((server, i) => ({
      label: server,
      backgroundColor: COLORS[i % COLORS.length],
      data: shapes.map(
        (shape) => table.find((r) => r.shape === shape && r.server === server)?.[key] ?? null,
      ),
    }));
  const data = {
    labels: shapes,
    throughput: dataset("messagesPerSecond"),
    p99: dataset("p99Ms"),
  };
  const m = report.machine;
  const caption = `${m.cpu}, ${m.cores} cores, ${m.kernel}; Bun ${m.bun}, Node ${m.node ?? "-"}, ${m.go ?? "no Go"}; ${report.settings.duration} s per shape, loopback${report.settings.pinned ? ", server and harness pinned to different cores" : ""}; load average ${report.loadAverage.start} at start, ${report.loadAverage.end} at end`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>echod-bench comparison, ${escapeHtml(report.date)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px}figure{margin:2em 0}p{color:#444}</style>
</head>
<body>
<h1>echod vs baseline echo servers</h1>
<p>${escapeHtml(caption)}</p>
<p><code>${escapeHtml(report.command)}</code> at ${escapeHtml(report.commit ?? "unknown commit")}, ${escapeHtml(report.date)}${report.skipped.map((s) => `; skipped ${escapeHtml(s.name)}: ${escapeHtml(s.reason)}`).join("")}</p>
<figure><canvas id="throughput"></canvas></figure>
<figure><canvas id="p99"></canvas></figure>
<script>${inline(chartJs())}</script>
<script>
const data = ${inline(JSON.stringify(data))};
function draw(id, datasets, title, axis) {
  new Chart(document.getElementById(id), {
    type: "bar",
    data: { labels: data.labels, datasets },
    options: {
      animation: false,
      plugins: { title: { display: true, text: title } },
      scales: { y: { type: "logarithmic", title: { display: true, text: axis } } },
    },
  });
}
draw("throughput", data.throughput, "Messages per second (higher is better)", "messages/s");
draw("p99", data.p99, "p99 latency (lower is better)", "ms");
</script>
</body>
</html>
`;
}
