/**
 * echod-bench against a bannered echod (the real CLI, in child processes):
 * with --banner-line or --banner-bytes it skips the greeting and verifies
 * every echoed byte; without, the greeting is caught as a mismatch.
 */
import { describe, expect, test } from "bun:test";
import { LOOPBACK, spawnKilledAfterEach } from "../../helpers/spawn-echod.ts";
import { jsonLine, runBench, runBenchJson, startServer } from "../helpers.ts";

const spawn = spawnKilledAfterEach();

describe("echod-bench and a server banner", () => {
  test("--banner-line skips a line that differs per connection ({remote}); every echoed byte is verified", async () => {
    const echod = await spawn([...LOOPBACK, "--banner", "echod {hostname} for {remote}\\n"]);
    const run = await runBenchJson(echod.port, "-c 8 -p 4 -s 1KiB -d 1 --banner-line");
    expect(run.code).toBe(0);
    const r = jsonLine(run);
    console.log(
      `--banner-line: ${r.messages.total} messages of 1 KiB verified, ${r.errorsTotal} errors`,
    );
    expect(r.errorsTotal).toBe(0);
    expect(r.messages.total).toBeGreaterThan(0);
    expect(r.bytes.total).toBe(r.messages.total * r.size);
  });

  test("--banner-bytes 6 skips a fixed 6-byte banner; without it the banner is a mismatch (exit 1)", async () => {
    const echod = await spawn([...LOOPBACK, "--banner", "HELLO\\n"]);
    const skipped = jsonLine(await runBenchJson(echod.port, "-c 4 -s 64 -a 2000 --banner-bytes 6"));
    expect(skipped.errorsTotal).toBe(0);
    expect(skipped.messages.total).toBe(2000);
    const unskipped = await runBenchJson(echod.port, "-c 4 -s 64 -a 2000");
    expect(unskipped.code).toBe(1);
    expect(jsonLine(unskipped).errors.mismatch).toBeGreaterThan(0);
  });

  test("a first line longer than 4 KiB is a mismatch, not an endless skip", async () => {
    // A server that greets with 5,000 bytes and no LF, and echoes nothing.
    const server = await startServer(
      () => {},
      (socket) => socket.write("x".repeat(5000)),
    );
    try {
      const run = await runBenchJson(server.port, "-c 1 -s 64 -a 1 --timeout 2 --banner-line");
      expect(run.code).toBe(1);
      expect(jsonLine(run).errors.mismatch).toBe(1);
    } finally {
      await server.close();
    }
  });

  test("--banner-bytes and --banner-line together, or a bad count, exit 2 naming the flag", async () => {
    const both = await runBench(["127.0.0.1:9", "--banner-bytes", "6", "--banner-line"]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain(
      '--banner-bytes "6": give --banner-bytes or --banner-line, not both',
    );
    const bad = await runBench(["127.0.0.1:9", "--banner-bytes", "six"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(
      '--banner-bytes "six": must be a decimal integer from 1 to 1048576',
    );
  });
});
