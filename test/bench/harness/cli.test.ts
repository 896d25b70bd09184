/**
 * `echod-bench` as a user runs it: the real CLI in a child process against
 * echod (started in this process on port 0) in each mode, checked against
 * the documented JSON schema; then against servers that corrupt, reset and
 * stall, whose faults must be caught, counted and reflected in the exit code.
 */

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { BenchResult } from "../../../bench/harness/aggregate.ts";
import { resolveConfig } from "../../../src/config.ts";
import { type EchoServer, startEchoServer } from "../../../src/echo/server.ts";
import { type BenchRun, expectSchema, jsonLine, runBench, startServer } from "../helpers.ts";

let echod: EchoServer;
let target: string;

beforeAll(() => {
  echod = startEchoServer(resolveConfig({ port: 0, host: "127.0.0.1", metrics: false }));
  target = `127.0.0.1:${echod.port}`;
});

afterAll(async () => {
  await echod.stop(1);
});

function expectClean(r: BenchResult): void {
  expect(r.errorsTotal).toBe(0);
  expect(r.messages.total).toBeGreaterThan(0);
  expect(r.bytes.total).toBe(r.messages.total * r.size);
  expect(r.latency.samples).toBe(r.messages.total);
}

describe("against echod, each mode for about a second", () => {
  test("closed loop: pipelined messages all come back verified, exit 0", async () => {
    const run = await runBench([
      target,
      "-c",
      "8",
      "-p",
      "4",
      "-s",
      "100",
      "-d",
      "1",
      "--json",
      "--title",
      "closed",
    ]);
    expect(run.code).toBe(0);
    const r = jsonLine(run);
    expectSchema(r);
    expectClean(r);
    expect(r).toMatchObject({
      mode: "closed",
      connections: 8,
      pipelining: 4,
      size: 100,
      title: "closed",
    });
    expect(r.duration).toBeGreaterThanOrEqual(0.99);
    expect(r.duration).toBeLessThan(1.5);
    // average is total / measured seconds (duration is rounded to the millisecond).
    expect(Math.abs(r.messages.average * r.duration - r.messages.total)).toBeLessThan(
      r.messages.total * 0.002,
    );
    // The tables went to stderr, and stdout holds only the JSON line.
    expect(run.stderr).toContain("Latency");
    expect(run.stderr).toContain("0 errors");
  });

  test("open loop: --rate sends on schedule, so the count matches the rate", async () => {
    const run = await runBench([target, "-c", "4", "-R", "2000", "-d", "1", "-j"]);
    expect(run.code).toBe(0);
    const r = jsonLine(run);
    expectSchema(r);
    expectClean(r);
    expect(r.mode).toBe("rate");
    expect(r.rate).toBe(2000);
    // 2000/s for 1 s, less the time the connections took to come up (slow on a busy machine).
    expect(r.messages.total).toBeGreaterThan(1600);
    expect(r.messages.total).toBeLessThanOrEqual(2010);
  });

  test("churn: each connection echoes one message and closes; reports connections and connect latency", async () => {
    const before = echod.stats.accepted;
    const run = await runBench([target, "-c", "4", "--churn", "-s", "1KiB", "-d", "1", "-j"]);
    expect(run.code).toBe(0);
    const r = jsonLine(run);
    expectSchema(r);
    expectClean(r);
    expect(r.mode).toBe("churn");
    const churn = r.churn as NonNullable<BenchResult["churn"]>;
    expect(churn.connections.total).toBeGreaterThan(20);
    expect(churn.connectLatency.samples).toBeGreaterThanOrEqual(churn.connections.total);
    // echod saw at least as many connections as the harness counted.
    expect(echod.stats.accepted - before).toBeGreaterThanOrEqual(churn.connections.total);
    expect(run.stderr).toContain("Connections");
  });

  test("two worker threads: one merged report, connections split between them", async () => {
    const before = echod.stats.accepted;
    const run = await runBench([target, "-c", "6", "-w", "2", "-p", "2", "-d", "1", "-j"]);
    expect(run.code).toBe(0);
    const r = jsonLine(run);
    expectSchema(r);
    expectClean(r);
    expect(r.workers).toBe(2);
    expect(echod.stats.accepted - before).toBe(6);
  });

  test("--amount echoes exactly that many messages and stops", async () => {
    const run = await runBench([target, "-c", "3", "-p", "8", "-a", "5000", "-w", "2", "-j"]);
    expect(run.code).toBe(0);
    const r = jsonLine(run);
    expectSchema(r);
    expectClean(r);
    expect(r.messages.total).toBe(5000);
  });
});

/** Runs echod-bench (`--json`) with `args` against a server made of `onData`, then closes the server. */
async function benchAgainst(
  onData: Parameters<typeof startServer>[0],
  args: string[],
): Promise<BenchRun> {
  const server = await startServer(onData);
  try {
    return await runBench([`127.0.0.1:${server.port}`, ...args, "-j"]);
  } finally {
    await server.close();
  }
}

describe("servers that misbehave", () => {
  test("a server that flips one byte: mismatches are counted and the exit code is 1", async () => {
    let seen = 0;
    let flipped = 0;
    const run = await benchAgainst(
      (socket, chunk) => {
        seen += chunk.length;
        if (seen > 20_000 && flipped < 3) {
          const copy = Buffer.from(chunk);
          copy[copy.length - 1] = (copy[copy.length - 1] as number) ^ 0x20;
          flipped++;
          socket.write(copy);
        } else {
          socket.write(chunk);
        }
      },
      ["-c", "2", "-p", "4", "-d", "1"],
    );
    expect(run.code).toBe(1);
    const r = jsonLine(run);
    expectSchema(r);
    expect(flipped).toBe(3);
    expect(r.mismatches).toBe(3);
    expect(r.errors.mismatch).toBe(3);
    expect(run.stderr).toMatch(/mismatch\s*│\s*3/);
  });

  test("a server that echoes more than it was sent: counted as a mismatch", async () => {
    const run = await benchAgainst(
      (socket, chunk) => {
        socket.write(chunk);
        socket.write(chunk.subarray(0, 1));
      },
      ["-c", "1", "-d", "0.3"],
    );
    expect(run.code).toBe(1);
    expect(jsonLine(run).errors.mismatch).toBeGreaterThan(0);
  });

  test("a server that resets connections: counted as resets, exit 1", async () => {
    let resets = 0;
    const run = await benchAgainst(
      (socket, chunk) => {
        if (Math.random() < 0.05) {
          resets++;
          socket.resetAndDestroy();
        } else {
          socket.write(chunk);
        }
      },
      ["-c", "2", "-d", "1"],
    );
    expect(run.code).toBe(1);
    const r = jsonLine(run);
    expectSchema(r);
    expect(resets).toBeGreaterThan(0);
    expect(r.errors.reset).toBeGreaterThan(0);
    expect(r.errors.reset).toBeLessThanOrEqual(resets);
    expect(r.errors.mismatch).toBe(0);
    // The harness reconnected after each reset and kept going.
    expect(r.messages.total).toBeGreaterThan(resets);
  });

  test("a server that closes mid-echo: counted as short echoes", async () => {
    const run = await benchAgainst(
      (socket, chunk) => {
        // Echo half of the first chunk, then close cleanly (FIN).
        socket.end(chunk.subarray(0, Math.max(1, chunk.length >> 1)));
      },
      ["-c", "1", "-s", "200", "-d", "0.3"],
    );
    expect(run.code).toBe(1);
    const r = jsonLine(run);
    expect(r.errors.short).toBeGreaterThan(0);
    expect(r.messages.total).toBe(0);
  });

  test("nothing listening: refused connections are counted, exit 1", async () => {
    const server = await startServer(() => {});
    const port = server.port;
    await server.close();
    const run = await runBench([`127.0.0.1:${port}`, "-c", "2", "-d", "0.5", "-j"]);
    expect(run.code).toBe(1);
    expect(jsonLine(run).errors.refused).toBeGreaterThanOrEqual(2);
  });

  test("--amount against a server that never answers gives up after --timeout instead of waiting forever", async () => {
    const started = performance.now();
    const run = await benchAgainst(() => {}, ["-c", "2", "-a", "100", "--timeout", "400ms"]);
    expect(run.code).toBe(1);
    expect(jsonLine(run).errors.timeout).toBeGreaterThanOrEqual(2);
    expect(performance.now() - started).toBeLessThan(5000);
  });

  test.if(Bun.which("python3") !== null)(
    "a listener that never accepts (full backlog): connects time out and the run still ends",
    async () => {
      // python3 listens with a backlog of 1 and never calls accept(): once the queue is
      // full the kernel drops further SYNs, and a connect() would retry them for minutes.
      const listener = Bun.spawn(
        [
          "python3",
          "-c",
          "import socket,sys,time\ns=socket.socket()\ns.bind(('127.0.0.1',0))\ns.listen(1)\nprint(s.getsockname()[1],flush=True)\ntime.sleep(30)",
        ],
        { stdout: "pipe", stderr: "ignore" },
      );
      try {
        const reader = listener.stdout.getReader();
        const port = Number(new TextDecoder().decode((await reader.read()).value).trim());
        const started = performance.now();
        const run = await runBench([
          `127.0.0.1:${port}`,
          "-c",
          "6",
          "-d",
          "0.5",
          "--timeout",
          "0.5",
          "-j",
        ]);
        expect(run.code).toBe(1);
        expect(jsonLine(run).errors.timeout).toBeGreaterThanOrEqual(1);
        expect(performance.now() - started).toBeLessThan(6000);
      } finally {
        listener.kill("SIGKILL");
      }
    },
  );

  test("a server that never answers: messages time out after --timeout", async () => {
    const run = await benchAgainst(() => {}, ["-c", "2", "-d", "1", "--timeout", "300ms"]);
    expect(run.code).toBe(1);
    const r = jsonLine(run);
    expect(r.errors.timeout).toBeGreaterThanOrEqual(2);
    expect(r.messages.total).toBe(0);
  });
});

describe("coordinated omission", () => {
  /** An echo server that stops reading for 300 ms once, 400 ms after the first connection. */
  async function stallingServer() {
    const sockets = new Set<import("node:net").Socket>();
    let armed = false;
    const server = await startServer(
      (socket, chunk) => socket.write(chunk),
      (socket) => {
        sockets.add(socket);
        if (armed) return;
        armed = true;
        setTimeout(() => {
          for (const s of sockets) s.pause();
          setTimeout(() => {
            for (const s of sockets) s.resume();
          }, 300);
        }, 400);
      },
    );
    return server;
  }

  test("open loop counts from when each message was due, so a 300 ms stall fills the tail; closed loop hides it", async () => {
    const open = await stallingServer();
    const closed = await stallingServer();
    try {
      const [openRun, closedRun] = [
        await runBench([`127.0.0.1:${open.port}`, "-c", "2", "-R", "1000", "-d", "1.5", "-j"]),
        await runBench([`127.0.0.1:${closed.port}`, "-c", "2", "-p", "1", "-d", "1.5", "-j"]),
      ];
      expect(openRun.code).toBe(0);
      expect(closedRun.code).toBe(0);
      const corrected = jsonLine(openRun).latency;
      const uncorrected = jsonLine(closedRun).latency;
      // Both saw the stall...
      expect(corrected.max).toBeGreaterThanOrEqual(250);
      expect(uncorrected.max).toBeGreaterThanOrEqual(250);
      // ...but only the open loop's p99 shows it: ~20% of its messages fell due during the stall.
      expect(corrected.p99).toBeGreaterThanOrEqual(200);
      expect(corrected.p90).toBeGreaterThanOrEqual(50);
      expect(uncorrected.p99).toBeLessThan(100);
    } finally {
      await open.close();
      await closed.close();
    }
  });
});
