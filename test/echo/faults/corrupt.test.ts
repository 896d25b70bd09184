/**
 * --corrupt P on a real listener: a corrupted chunk comes back with exactly
 * one bit flipped, each one is counted, and echod-bench, which checks every
 * byte, reports exactly as many mismatches as echod counted corruptions.
 * For that count to be exact, one chunk must be one message: echod-bench
 * sends each 64-byte message in one write and, with --pipelining 1, waits
 * for its echo before the next, and a mismatch ends that connection (the
 * harness then reconnects), so no corrupted echo goes unread.
 */
import { describe, expect, test } from "bun:test";
import { jsonLine, runBench } from "../../bench/helpers.ts";
import { startServer } from "../../helpers/echo-server.ts";
import { connect, exactReader } from "../../helpers/net-client.ts";
import { randomPayload } from "../../helpers/payload.ts";
import { parseSamples, sample, scrape } from "../../helpers/prom-text.ts";
import { LOOPBACK_WITH_ADMIN, spawnKilledAfterEach } from "../../helpers/spawn-echod.ts";
import { expectRefusedRun, FRACTION } from "../../helpers/usage.ts";

const spawnEchod = spawnKilledAfterEach();

/** Set bits in a XOR b. */
function bitsDiffering(a: Uint8Array, b: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    let x = (a[i] as number) ^ (b[i] as number);
    for (; x !== 0; x &= x - 1) n++;
  }
  return n;
}

describe("--corrupt", () => {
  test("at 1, every echoed chunk has exactly one bit flipped, and each is counted", async () => {
    const server = startServer({ corrupt: 1 });
    const socket = await connect(server.port);
    const reader = exactReader(socket);
    const flips: number[] = [];
    for (let i = 0; i < 50; i++) {
      const message = randomPayload(64);
      socket.write(message);
      const echo = await reader.read(64);
      flips.push(echo === null ? -1 : bitsDiffering(message, echo));
    }
    socket.destroy();
    expect(flips).toEqual(new Array(50).fill(1));
    expect(server.stats.faults.corrupt).toBe(50);
  });

  test("at 0.25, some chunks come back intact and the others each with one bit flipped", async () => {
    const server = startServer({ corrupt: 0.25 });
    const socket = await connect(server.port);
    const reader = exactReader(socket);
    let flipped = 0;
    let intact = 0;
    for (let i = 0; i < 200; i++) {
      const message = randomPayload(64);
      socket.write(message);
      const echo = await reader.read(64);
      const bits = echo === null ? -1 : bitsDiffering(message, echo);
      if (bits === 1) flipped++;
      if (bits === 0) intact++;
    }
    socket.destroy();
    expect(flipped + intact).toBe(200);
    expect(flipped).toBeGreaterThan(0);
    expect(intact).toBeGreaterThan(0);
    expect(server.stats.faults.corrupt).toBe(flipped);
  });

  for (const workers of [[], ["--workers", "2"]]) {
    test(`echod-bench against --corrupt 0.1${workers.length > 0 ? " --workers 2" : ""} reports as many mismatches as echod counted`, async () => {
      const echod = await spawnEchod([...LOOPBACK_WITH_ADMIN, "--corrupt", "0.1", ...workers]);
      const run = await runBench(
        [`127.0.0.1:${echod.port}`, "-c", "4", "-s", "64", "-p", "1", "-a", "2000", "-j"],
        30_000,
      );
      const result = jsonLine(run);
      const key = 'echod_faults_injected_total{listener="tcp",type="corrupt"}';
      // Under --workers the primary's sums can trail a worker by one report: scrape until they settle (at most 5 s).
      let corrupted = -1;
      for (let i = 0; i < 50 && corrupted !== result.mismatches; i++) {
        if (i > 0) await Bun.sleep(100);
        const samples = parseSamples(await (await scrape(echod.metricsPort as number)).text());
        corrupted = sample(samples, key);
      }
      console.log(`corrupted ${corrupted}, mismatches ${result.mismatches}`);
      expect(run.code).toBe(1);
      expect(corrupted).toBeGreaterThan(0);
      expect(result.mismatches).toBe(corrupted);
      expect(result.errorsTotal).toBe(result.mismatches);
    });
  }

  for (const bad of ["1.5", "-0.1", "often"]) {
    test(`--corrupt ${bad} exits 2 with one line naming the flag`, async () => {
      await expectRefusedRun(
        ["--corrupt", bad],
        {},
        `echod: invalid --corrupt "${bad}": ${FRACTION}`,
      );
    });
  }
});
