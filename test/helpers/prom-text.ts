/**
 * A small reader of Prometheus text exposition for tests: sample lines only,
 * keyed as written (`name` or `name{label="v",...}`). The parser itself is
 * bench/common/prom-text.ts, shared with the bench scripts.
 */
import { parseSamples } from "../../bench/common/prom-text.ts";

export { parseSamples };

/** The value of one sample; throws (failing the test) if it is missing. */
export function sample(samples: Map<string, number>, key: string): number {
  const value = samples.get(key);
  if (value === undefined) throw new Error(`no sample ${key} in scrape`);
  return value;
}

export async function scrape(port: number, accept?: string): Promise<Response> {
  return fetch(`http://127.0.0.1:${port}/metrics`, accept ? { headers: { accept } } : {});
}

/** Metric family names of every sample in a scrape. */
export function metricNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const key of parseSamples(text).keys()) names.add(key.replace(/\{.*$/, ""));
  return names;
}

/** Runs `promtool check metrics` on an exposition; its code and everything it printed. */
export async function promtoolCheckMetrics(
  body: string,
): Promise<{ code: number; output: string }> {
  const promtool = Bun.spawn(["promtool", "check", "metrics"], {
    stdin: "pipe",
    stdout: "pipe",
    stderr: "pipe",
  });
  promtool.stdin.write(body);
  await promtool.stdin.end();
  const [code, out, err] = await Promise.all([
    promtool.exited,
    new Response(promtool.stdout).text(),
    new Response(promtool.stderr).text(),
  ]);
  return { code, output: `${out}${err}`.trim() };
}
