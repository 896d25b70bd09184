/**
 * Every PromQL expression echod ships (the Grafana dashboard's panel and
 * variable queries, the alerting rules), and what each one selects, read with
 * Prometheus' own PromQL grammar (@prometheus-io/lezer-promql, the parser of
 * the Prometheus web UI): metric names, label matchers and grouping labels,
 * plus any syntax error. Grafana's variables are replaced by values a real
 * query could carry before parsing.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parser } from "@prometheus-io/lezer-promql";
import { parse } from "yaml";

const ROOT = resolve(import.meta.dir, "../..");
export const DASHBOARD = resolve(ROOT, "deploy/compose/grafana/dashboards/echod.json");
export const RULES = resolve(ROOT, "deploy/prometheus/rules.yml");

export interface Query {
  /** Where it comes from, for failure messages: "dashboard: Throughput / B". */
  readonly where: string;
  /** PromQL, Grafana variables already substituted. */
  readonly expr: string;
  /** For a Grafana label_values() variable: the label it lists. */
  readonly listsLabel?: string;
}

/** Grafana's built-in and dashboard variables, as a query at run time might see them. */
const GRAFANA_VARIABLES: Readonly<Record<string, string>> = {
  __rate_interval: "1m",
  __interval: "15s",
  __range: "15m",
  job: ".*",
  instance: ".*",
};

export function grafanaToPromQL(expr: string): string {
  return expr.replace(
    /\$(\w+)|\$\{(\w+)\}/g,
    (whole, a: string | undefined, b: string | undefined) => {
      const value = GRAFANA_VARIABLES[a ?? b ?? ""];
      if (value === undefined) throw new Error(`unknown Grafana variable ${whole} in ${expr}`);
      return value;
    },
  );
}

interface Panel {
  title?: string;
  targets?: { refId?: string; expr?: string }[];
  panels?: Panel[];
}

export function dashboardQueries(path = DASHBOARD): Query[] {
  const dashboard = JSON.parse(readFileSync(path, "utf8")) as {
    panels: Panel[];
    templating?: { list: { name: string; query?: string | { query?: string } }[] };
  };
  const queries: Query[] = [];
  const visit = (panel: Panel) => {
    for (const t of panel.targets ?? []) {
      if (t.expr === undefined) throw new Error(`dashboard: ${panel.title}/${t.refId} has no expr`);
      queries.push({
        where: `dashboard: ${panel.title} / ${t.refId}`,
        expr: grafanaToPromQL(t.expr),
      });
    }
    for (const inner of panel.panels ?? []) visit(inner);
  };
  for (const panel of dashboard.panels) visit(panel);
  for (const v of dashboard.templating?.list ?? []) {
    const text = typeof v.query === "string" ? v.query : (v.query?.query ?? "");
    const labelValues = /^label_values\((.+),\s*(\w+)\)$/.exec(text);
    if (!labelValues)
      throw new Error(`dashboard variable $${v.name}: expected label_values(), got ${text}`);
    queries.push({
      where: `dashboard variable $${v.name}`,
      expr: grafanaToPromQL(labelValues[1] ?? ""),
      listsLabel: labelValues[2] ?? "",
    });
  }
  return queries;
}

export function ruleQueries(path = RULES): Query[] {
  const rules = parse(readFileSync(path, "utf8")) as {
    groups: { name: string; rules: { alert?: string; record?: string; expr: string }[] }[];
  };
  return rules.groups.flatMap((g) =>
    g.rules.map((r) => ({ where: `rule ${r.alert ?? r.record}`, expr: String(r.expr) })),
  );
}

export interface Matcher {
  readonly label: string;
  readonly op: string;
  readonly value: string;
}

export interface Selected {
  readonly errors: string[];
  readonly selectors: { readonly metric: string; readonly matchers: Matcher[] }[];
  /** Labels named in by (...), without (...), on (...), ignoring (...). */
  readonly grouping: string[];
}

export function analyse(expr: string): Selected {
  const tree = parser.parse(expr);
  const text = (from: number, to: number) => expr.slice(from, to);
  const errors: string[] = [];
  const selectors: { metric: string; matchers: Matcher[] }[] = [];
  const grouping: string[] = [];
  tree.iterate({
    enter: (node) => {
      if (node.type.isError) errors.push(`syntax error at ${node.from}: ${JSON.stringify(expr)}`);
      if (node.name === "VectorSelector") {
        const id = node.node.getChild("Identifier");
        const matchers: Matcher[] = [];
        const list = node.node.getChild("LabelMatchers");
        for (const m of list?.getChildren("UnquotedLabelMatcher") ?? []) {
          const name = m.getChild("LabelName");
          const op = m.getChild("MatchOp");
          const value = m.getChild("StringLiteral");
          if (!name || !op || !value) continue;
          matchers.push({
            label: text(name.from, name.to),
            op: text(op.from, op.to),
            value: JSON.parse(text(value.from, value.to)) as string,
          });
        }
        if (
          list?.getChildren("QuotedLabelMatcher").length ||
          list?.getChildren("QuotedLabelName").length
        ) {
          errors.push(`quoted label matchers are not checked: ${expr}`);
        }
        if (!id) errors.push(`a selector without a metric name: ${expr}`);
        else selectors.push({ metric: text(id.from, id.to), matchers });
      }
      if (node.name === "GroupingLabels") {
        for (const l of node.node.getChildren("LabelName")) grouping.push(text(l.from, l.to));
      }
    },
  });
  return { errors, selectors, grouping };
}

/** Series names a scrape exposes, each with the label names and values it carries. */
export function seriesLabels(scrapeText: string): Map<string, Map<string, Set<string>>> {
  const series = new Map<string, Map<string, Set<string>>>();
  for (const line of scrapeText.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s/.exec(line);
    if (!match) throw new Error(`unreadable sample line: ${line}`);
    const name = match[1] ?? "";
    const labels = series.get(name) ?? new Map<string, Set<string>>();
    series.set(name, labels);
    for (const pair of (match[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
      const values = labels.get(pair[1] ?? "") ?? new Set<string>();
      values.add(pair[2] ?? "");
      labels.set(pair[1] ?? "", values);
    }
  }
  return series;
}
