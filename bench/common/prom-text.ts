/**
 * A small reader of Prometheus text exposition, shared by the bench scripts
 * and the tests: sample lines only, keyed as written (`name` or
 * `name{label="v",...}`), and sums over label sets.
 */
export function parseSamples(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const space = line.lastIndexOf(" ");
    samples.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return samples;
}

/**
 * The sum of every sample of `name` whose labels include all of `labels`
 * (echod labels most series by listener; the sum is the daemon's figure).
 * NaN when there is no such sample, so a missing metric is never read as 0.
 */
export function sumSamples(
  samples: Map<string, number>,
  name: string,
  labels: Record<string, string> = {},
): number {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  let sum = Number.NaN;
  for (const [key, value] of samples) {
    if (key !== name && !key.startsWith(`${name}{`)) continue;
    if (!wanted.every((pair) => key.includes(pair))) continue;
    sum = (Number.isNaN(sum) ? 0 : sum) + value;
  }
  return sum;
}

/** One scrape of echod's admin server on loopback, parsed. */
export async function scrapeSamples(adminPort: number): Promise<Map<string, number>> {
  return parseSamples(await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text());
}
