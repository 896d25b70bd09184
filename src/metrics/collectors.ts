/**
 * The shapes echod's metrics come in, each filled from a snapshot in
 * `collect()` at scrape time: a plain counter, one series per listener, per
 * listener and label, and per UDP label. The metric groups use these.
 */
import client, { type Registry } from "prom-client";
import type { EchoStats, ListenerStats, UdpStats } from "../echo/stats.ts";
import type { DaemonResources } from "./resources.ts";
import type { MetricsSource } from "./source.ts";

/** What a metric group reads: one snapshot per scrape, shared by all its metrics. */
export interface Scrape {
  readonly registers: Registry[];
  readonly source: MetricsSource;
  stats(): EchoStats;
  listeners(): ListenerStats;
  resources(): DaemonResources;
  /** How long the previous /metrics answer took to build. */
  lastSeconds(): number;
}

/** A daemon-wide metric with one series, read at scrape time. */
export interface PlainMetric {
  readonly type: "counter" | "gauge";
  readonly name: string;
  readonly help: string;
  readonly read: () => number;
}

export function plain(registers: Registry[], metric: PlainMetric): void {
  const { type, name, help, read } = metric;
  const shape = { name, help, registers };
  if (type === "gauge") {
    new client.Gauge({
      ...shape,
      collect() {
        this.set(read());
      },
    });
  } else {
    new client.Counter({
      ...shape,
      collect() {
        this.reset();
        this.inc(read());
      },
    });
  }
}

/** One metric with a series per listener, as the metric groups define it. */
export interface ListenerMetric {
  readonly type: "counter" | "gauge";
  readonly name: string;
  readonly help: string;
  readonly read: (stats: EchoStats) => number;
  /** How UDP's series reads; no UDP series without it. */
  readonly udp?: (stats: UdpStats) => number;
}

/** Registers `metric`, one series per listener (UDP only if the metric says how to read it). */
export function perListener(scrape: Scrape, metric: ListenerMetric): void {
  const { type, name, help, read, udp: udpRead } = metric;
  const fill = (set: (listener: string, value: number) => void) => {
    const { stream, udp } = scrape.listeners();
    for (const [listener, stats] of Object.entries(stream)) {
      if (stats) set(listener, read(stats));
    }
    if (udp && udpRead) set("udp", udpRead(udp));
  };
  const shape = { name, help, labelNames: ["listener"], registers: scrape.registers };
  if (type === "gauge") {
    new client.Gauge({ ...shape, collect: gaugeCollect(fill) });
  } else {
    new client.Counter({ ...shape, collect: counterCollect(fill) });
  }
}

type Fill = (set: (listener: string, value: number) => void) => void;

function gaugeCollect(fill: Fill) {
  return function (this: client.Gauge) {
    this.reset();
    fill((listener, value) => this.labels(listener).set(value));
  };
}

function counterCollect(fill: Fill) {
  return function (this: client.Counter) {
    this.reset();
    fill((listener, value) => this.labels(listener).inc(value));
  };
}

/** A counter with one series per stream listener and value of `label`. */
export function perListenerAndLabel<R extends string>(
  scrape: Scrape,
  name: string,
  help: string,
  label: string,
  values: readonly R[],
  read: (stats: EchoStats, value: R) => number,
): void {
  new client.Counter({
    name,
    help,
    labelNames: ["listener", label],
    registers: scrape.registers,
    collect() {
      this.reset();
      for (const [listener, stats] of Object.entries(scrape.listeners().stream)) {
        if (!stats) continue;
        for (const value of values) this.labels(listener, value).inc(read(stats, value));
      }
    },
  });
}

/** A UDP counter by `label`; no series at all when UDP is off. */
export function udpCounter<R extends string>(
  scrape: Scrape,
  name: string,
  help: string,
  label: string,
  values: readonly R[],
  read: (stats: UdpStats, value: R) => number,
): void {
  new client.Counter({
    name,
    help,
    labelNames: [label],
    registers: scrape.registers,
    collect() {
      this.reset();
      const udp = scrape.listeners().udp;
      if (udp === null) return;
      for (const value of values) this.labels(value).inc(read(udp, value));
    },
  });
}
