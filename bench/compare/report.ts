/**
 * The comparison's results: the record kept for each (part, shape, server,
 * round) run and the start-up runs, the tables printed at the end (capacity,
 * fixed rate, harness ceiling, start-up, with echod's ratios to each baseline
 * paired round by round), and the results file written next to the chart.
 *
 * The entry point the runner, the chart and the tests import: the record
 * lives in record.ts, the figures in summary.ts and the text in tables.ts.
 */
export type { CompareReport, CompareRun, Measurement, Part } from "./record.ts";
export { PARTS } from "./record.ts";
export {
  capacities,
  type HarnessRow,
  harnessRows,
  median,
  type Ratio,
  type Row,
  rows,
  type TargetRow,
  targetRows,
} from "./summary.ts";
export { markdownTable, printCompareTable } from "./tables.ts";
