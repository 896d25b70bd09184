/**
 * --timeout MS on a real listener: nothing is echoed, and the connection is
 * closed (FIN, reason fault_timeout) MS after its first byte, not after it
 * opened, and not earlier when the client half-closes. Times are measured
 * at the client with generous upper bounds (the machine is shared).
 */
import { describe, expect, test } from "bun:test";
import type { Passage } from "../../../src/echo/faults/stage.ts";
import { createTimeoutStage } from "../../../src/echo/faults/timeout.ts";
import { createStats } from "../../../src/echo/stats.ts";
import { startServer } from "../../helpers/echo-server.ts";
import { connect, echoOnce, waitFor } from "../../helpers/net-client.ts";
import { expectRefusedRun } from "../../helpers/usage.ts";

const MS = 400;

describe("--timeout", () => {
  test("the FIN comes MS after the first byte, with nothing echoed; an idle connection is not timed", async () => {
    const server = startServer({ timeout: MS });
    const socket = await connect(server.port);
    let got = 0;
    socket.on("data", (d: Buffer) => {
      got += d.length;
    });
    const end = new Promise<number>((resolve) =>
      socket.once("end", () => resolve(performance.now())),
    );
    await Bun.sleep(MS + 200);
    expect(server.stats.active).toBe(1);
    const sentAt = performance.now();
    socket.write("first");
    await Bun.sleep(100);
    socket.write("second");
    const endedAt = await end;
    expect(endedAt - sentAt).toBeGreaterThanOrEqual(MS - 5);
    expect(endedAt - sentAt).toBeLessThan(MS + 1500);
    expect(got).toBe(0);
    socket.destroy();
    const stats = server.stats;
    expect(await waitFor(() => stats.closed.fault_timeout === 1)).toBe(true);
    expect(stats.faults.timeout).toBe(1);
    expect({ sent: stats.sentBytes, discarded: stats.discardedBytes }).toEqual({
      sent: 0,
      discarded: 11,
    });
    expect(stats.receivedBytes).toBe(stats.sentBytes + stats.discardedBytes + stats.bufferedBytes);
  });

  test("nc, which half-closes once it has sent, still waits the whole timeout and gets nothing", async () => {
    const server = startServer({ timeout: MS });
    const started = performance.now();
    const nc = Bun.spawn(["nc", "-N", "-w", "5", "127.0.0.1", String(server.port)], {
      stdin: "pipe",
      stdout: "pipe",
      timeout: 8000,
    });
    nc.stdin.write("GET / HTTP/1.0\r\n\r\n");
    await nc.stdin.end();
    const reply = await new Response(nc.stdout).text();
    await nc.exited;
    const ms = performance.now() - started;
    expect(reply).toBe("");
    expect(ms).toBeGreaterThanOrEqual(MS - 5);
    expect(ms).toBeLessThan(MS + 2000);
    expect(await waitFor(() => server.stats.closed.fault_timeout === 1)).toBe(true);
    expect(server.stats.closed.peer_closed).toBe(0);
  });

  test("--fault-rate 0.5: each connection is either echoed whole or timed out, and each timeout counted", async () => {
    const server = startServer({ timeout: 200, faultRate: 0.5 });
    const payload = Buffer.from("are you there?\n");
    const results = await Promise.all(
      Array.from({ length: 30 }, () => echoOnce(server.port, payload)),
    );
    const echoed = results.filter((r) => r.received.equals(payload)).length;
    const silent = results.filter((r) => r.received.length === 0).length;
    expect(echoed + silent).toBe(30);
    expect(echoed).toBeGreaterThan(0);
    expect(silent).toBeGreaterThan(0);
    const stats = server.stats;
    expect(await waitFor(() => stats.active === 0)).toBe(true);
    expect(stats.faults.timeout).toBe(silent);
    expect(stats.closed.fault_timeout).toBe(silent);
    expect(stats.closed.peer_closed).toBe(echoed);
  });

  for (const bad of ["-1", "1.5", "2147483648", "1s"]) {
    test(`--timeout ${bad} exits 2 with one line naming the flag`, async () => {
      await expectRefusedRun(
        ["--timeout", bad],
        {},
        `echod: invalid --timeout "${bad}": must be a decimal integer from 0 to 2147483647, such as 250`,
      );
    });
  }

  test("--timeout with --blackhole exits 2: both drop what they read", async () => {
    await expectRefusedRun(
      ["--blackhole", "--timeout", "100"],
      {},
      'echod: invalid --timeout "100": cannot be combined with --blackhole: it already drops what it reads',
    );
  });
});

describe("the timeout stage on its own", () => {
  test("no cut before the first unit; then one MS after it; none once expired", () => {
    const stage = createTimeoutStage(100);
    const state = stage.open(0);
    const stats = createStats(1);
    const p: Passage = { due: 0, cut: null };
    expect(stage.cutAt?.(state)).toBe(0);
    const before = performance.now();
    expect(stage.enter?.(state, new Uint8Array(7), 1, p, stats).length).toBe(0);
    const at = stage.cutAt?.(state) ?? 0;
    expect(at).toBeGreaterThanOrEqual(before + 100);
    expect(at).toBeLessThanOrEqual(performance.now() + 100);
    stage.enter?.(state, new Uint8Array(3), 1, p, stats);
    expect(stage.cutAt?.(state)).toBe(at);
    expect(stats.discardedBytes).toBe(10);
    stage.expire?.(state, p, stats);
    expect({ cut: p.cut, counted: stats.faults.timeout, at: stage.cutAt?.(state) }).toEqual({
      cut: "fault_timeout",
      counted: 1,
      at: 0,
    });
  });

  test("a cut that came first is kept, and the timeout is not counted", () => {
    const stage = createTimeoutStage(100);
    const state = stage.open(0);
    const stats = createStats(1);
    const p: Passage = { due: 0, cut: "fault_close" };
    stage.enter?.(state, new Uint8Array(1), 1, p, stats);
    stage.expire?.(state, p, stats);
    expect(p.cut).toBe("fault_close");
    expect(stats.faults.timeout).toBe(0);
  });
});
