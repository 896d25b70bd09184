/**
 * The server's side of a run, read from echod's Prometheus `/metrics`
 * (`--metrics-url`): scraped before and after the run for the counters, and
 * every half second during it for the peak of the resident memory gauge.
 * echod's own `echod_cpu_seconds_total` and `echod_resident_memory_bytes`
 * cover every worker process, so they win over prom-client's `process_*`
 * (the supervisor alone) when both are there. Works with any exporter of the
 * same names; a metric the target does not expose is reported as null, not
 * as zero.
 */

export interface ServerSide {
  /** echod_cpu_seconds_total (else process_cpu_seconds_total), after minus before. */
  readonly cpuSeconds: number | null;
  /** Highest echod_resident_memory_bytes (else process_resident_memory_bytes) seen before, during and after. */
  readonly peakRssBytes: number | null;
  /** echod_backpressure_pauses_total, after minus before. */
  readonly backpressurePauses: number | null;
  /** Sum over reasons of echod_connections_rejected_total, after minus before. */
  readonly rejectedConnections: number | null;
  /** Scrapes that succeeded. */
  readonly scrapes: number;
}

/** Sums each metric's samples over all label sets: name -> value. */
export function parsePrometheus(text: string): Map<string, number> {
  const sums = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const value = Number(match[3]);
    if (!Number.isFinite(value)) continue;
    const name = match[1] as string;
    sums.set(name, (sums.get(name) ?? 0) + value);
  }
  return sums;
}

export async function scrape(url: string): Promise<Map<string, number>> {
  const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return parsePrometheus(await response.text());
}

const CPU = ["echod_cpu_seconds_total", "process_cpu_seconds_total"];
const RSS = ["echod_resident_memory_bytes", "process_resident_memory_bytes"];

/** The first of `names` that both scrapes have, after minus before. */
const delta = (before: Map<string, number>, after: Map<string, number>, names: string[]) => {
  for (const name of names) {
    const a = after.get(name);
    const b = before.get(name);
    if (a !== undefined && b !== undefined) return Math.max(0, a - b);
  }
  return null;
};

const first = (m: Map<string, number>, names: string[]) => {
  for (const name of names) {
    const v = m.get(name);
    if (v !== undefined) return v;
  }
  return undefined;
};

export interface ServerWatch {
  /** Stops sampling, scrapes once more and returns the deltas. */
  finish(): Promise<ServerSide>;
}

/** Scrapes `url` now (throws with the URL in the message if it cannot) and samples it until `finish`. */
export async function watchServer(url: string, everyMs = 500): Promise<ServerWatch> {
  let before: Map<string, number>;
  try {
    before = await scrape(url);
  } catch (error) {
    throw new Error(`cannot scrape --metrics-url ${url}: ${(error as Error).message}`);
  }
  let scrapes = 1;
  let peak = first(before, RSS) ?? null;
  const note = (m: Map<string, number>) => {
    scrapes++;
    const rss = first(m, RSS);
    if (rss !== undefined) peak = Math.max(peak ?? 0, rss);
  };
  let inFlight: Promise<void> | null = null;
  const timer = setInterval(() => {
    inFlight ??= scrape(url)
      .then(note, () => {})
      .finally(() => {
        inFlight = null;
      });
  }, everyMs);
  return {
    async finish() {
      clearInterval(timer);
      await inFlight;
      let after = before;
      try {
        after = await scrape(url);
        note(after);
      } catch {
        // Report what the samples gave; the counters then read as unknown.
        return {
          cpuSeconds: null,
          peakRssBytes: peak,
          backpressurePauses: null,
          rejectedConnections: null,
          scrapes,
        };
      }
      return {
        cpuSeconds: delta(before, after, CPU),
        peakRssBytes: peak,
        backpressurePauses: delta(before, after, ["echod_backpressure_pauses_total"]),
        rejectedConnections: delta(before, after, ["echod_connections_rejected_total"]),
        scrapes,
      };
    },
  };
}
