/**
 * The soak's verdict on growth (pure) and a short run of `bench/soak/soak.ts`
 * itself against a spawned echod, read back from its --json line.
 */
import { describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import { judge, median, type SoakSample, slope } from "../../../bench/soak/verdict.ts";

const SOAK = resolve(import.meta.dir, "../../../bench/soak/soak.ts");

function samples(rss: (i: number) => number, n = 20): SoakSample[] {
  return Array.from({ length: n }, (_, i) => ({
    t: i * 10,
    rssBytes: rss(i),
    openFds: 20,
    active: 10,
    bufferedBytes: 0,
    accepted: i * 100,
    streamBytesPerSec: 1,
    roundTripsPerSec: 1,
    errors: 0,
  }));
}

const clean = { fdsBefore: 20, fdsAfter: 20, activeAfter: 0, errors: 0, maxGrowthPercent: 10 };

describe("judge", () => {
  test("flat RSS with noise, no descriptor or connection left over: no growth", () => {
    const v = judge({ ...clean, samples: samples((i) => 60e6 + (i % 3) * 1e6) });
    expect(v.ok).toBe(true);
    expect(Math.abs(v.rssGrowthPercent)).toBeLessThan(5);
  });

  test("RSS climbing 2% a sample fails, with the growth named", () => {
    const v = judge({ ...clean, samples: samples((i) => 60e6 * 1.02 ** i) });
    expect(v.ok).toBe(false);
    expect(v.reasons[0]).toMatch(/^RSS grew \d+\.\d% from the second to the last quarter/);
    expect(v.rssSlopeMiBPerHour).toBeGreaterThan(0);
  });

  test("a descriptor more after the load, a connection left active or a client error fails", () => {
    const flat = samples(() => 60e6);
    expect(judge({ ...clean, samples: flat, fdsAfter: 21 }).reasons).toEqual([
      "open descriptors 20 before the load, 21 after",
    ]);
    expect(judge({ ...clean, samples: flat, activeAfter: 1 }).ok).toBe(false);
    expect(judge({ ...clean, samples: flat, errors: 2 }).ok).toBe(false);
  });

  test("fewer than four samples cannot be judged", () => {
    expect(judge({ ...clean, samples: samples(() => 60e6, 3) }).ok).toBe(false);
  });

  test("median and slope", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(slope([0, 1, 2], [1, 3, 5])).toBe(2);
  });
});

describe("bench/soak/soak.ts", () => {
  test("a 4-second soak prints a table and a JSON verdict: no client errors, no connection left, no descriptor more", async () => {
    const proc = Bun.spawn(
      [process.execPath, SOAK, "--duration", "4", "--interval", "1", "--idle", "20", "--json"],
      { stdout: "pipe", stderr: "pipe", timeout: 60_000 },
    );
    const [code, stdout, stderr] = await Promise.all([
      proc.exited,
      new Response(proc.stdout).text(),
      new Response(proc.stderr).text(),
    ]);
    const result = JSON.parse(stdout);
    expect(stderr).toContain("RSS MiB");
    expect(stderr).toContain("verdict:");
    expect(result.samples.length).toBe(4);
    expect(result.load.streamBytes).toBeGreaterThan(0);
    expect(result.load.roundTrips).toBeGreaterThan(0);
    expect(result.load.churned).toBeGreaterThan(0);
    expect(result.load.resets).toBeGreaterThan(0);
    expect(result.load.errors).toBe(0);
    expect(result.verdict.activeAtEnd).toBe(0);
    expect(result.verdict.openFdsAtEnd).toBeLessThanOrEqual(result.verdict.openFdsAtStart);
    expect(result.closed.peer_reset).toBeGreaterThan(0);
    // Four samples over a warm-up are too few to judge growth fairly, so the
    // exit code follows the verdict, whatever it is.
    expect(code).toBe(result.verdict.ok ? 0 : 1);
  }, 60_000);

  test("bad input names the option and exits 2", async () => {
    const proc = Bun.spawn([process.execPath, SOAK, "--duration", "soon"], {
      stdout: "pipe",
      stderr: "pipe",
    });
    const [code, stderr] = await Promise.all([proc.exited, new Response(proc.stderr).text()]);
    expect(code).toBe(2);
    expect(stderr.trim()).toBe(
      'soak: invalid --duration "soon": must be a duration of at least 1 s',
    );
  });
});
