/**
 * The comparison's results: the record kept for each (shape, server, round)
 * run, the table printed at the end (per shape and server, the median over
 * rounds of messages/s, MB/s, p99, server CPU per GB echoed, server CPU %,
 * peak RSS, the harness's own CPU %, and throughput over echod's on the same
 * shape), the table of echod's ratios to each baseline (paired round by
 * round, median and range), and the results file written next to the chart.
 *
 * The entry point the runner, the chart and the tests import: the record
 * lives in record.ts, the figures in summary.ts and the text in tables.ts.
 */
export type { CompareReport, CompareRun } from "./record.ts";
export { median, type Ratio, type Row, rows, type TargetRow, targetRows } from "./summary.ts";
export { markdownTable, printCompareTable } from "./tables.ts";
