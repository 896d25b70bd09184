/**
 * --slow-close MS on a real listener: the echo comes back as usual, and
 * echod's FIN arrives MS after the last echoed byte, whether the client
 * half-closed or a fault (--close-after) cut the connection. The client
 * measures the gap between its last byte and the FIN.
 */
import { describe, expect, test } from "bun:test";
import type net from "node:net";
import { startServer } from "../../helpers/echo-server.ts";
import { connect, waitFor } from "../../helpers/net-client.ts";
import { randomPayload } from "../../helpers/payload.ts";
import { expectRefusedRun } from "../../helpers/usage.ts";

const MS = 400;

/** Collects what `socket` receives; resolves at the FIN with the bytes and ms from the last byte to the FIN. */
function untilFin(socket: net.Socket): Promise<{ received: Buffer; gapMs: number }> {
  const parts: Buffer[] = [];
  let lastAt = performance.now();
  socket.on("data", (d: Buffer) => {
    parts.push(d);
    lastAt = performance.now();
  });
  return new Promise((resolve) =>
    socket.once("end", () =>
      resolve({ received: Buffer.concat(parts), gapMs: performance.now() - lastAt }),
    ),
  );
}

describe("--slow-close", () => {
  test("after the client's FIN, the whole echo comes back and echod's FIN MS later", async () => {
    const server = startServer({ slowClose: MS });
    const socket = await connect(server.port);
    const fin = untilFin(socket);
    const payload = randomPayload(256 * 1024);
    socket.end(payload);
    const { received, gapMs } = await fin;
    expect(received.equals(Buffer.from(payload))).toBe(true);
    expect(gapMs).toBeGreaterThanOrEqual(MS - 5);
    expect(gapMs).toBeLessThan(MS + 1500);
    socket.destroy();
    const stats = server.stats;
    expect(await waitFor(() => stats.closed.peer_closed === 1)).toBe(true);
    expect(stats.faults.slow_close).toBe(1);
    expect(stats.sentBytes).toBe(payload.length);
  });

  test("without it the FIN follows the echo at once (the same client, for comparison)", async () => {
    const server = startServer();
    const socket = await connect(server.port);
    const fin = untilFin(socket);
    socket.end(randomPayload(256 * 1024));
    expect((await fin).gapMs).toBeLessThan(MS / 2);
    socket.destroy();
  });

  test("with --close-after, the FIN of the cut is held back MS too (reason fault_close)", async () => {
    const server = startServer({ slowClose: MS, closeAfter: 100 });
    const socket = await connect(server.port);
    const fin = untilFin(socket);
    socket.write(randomPayload(300));
    const { received, gapMs } = await fin;
    expect(received.length).toBe(100);
    expect(gapMs).toBeGreaterThanOrEqual(MS - 5);
    expect(gapMs).toBeLessThan(MS + 1500);
    socket.destroy();
    const stats = server.stats;
    expect(await waitFor(() => stats.closed.fault_close === 1)).toBe(true);
    expect(stats.faults.slow_close).toBe(1);
    expect(stats.faults.close).toBe(1);
  });

  test("socat gets its echo at once and the end of its connection MS later", async () => {
    const server = startServer({ slowClose: MS });
    const socat = Bun.spawn(["socat", "-t", "5", "-", `TCP:127.0.0.1:${server.port}`], {
      stdin: "pipe",
      stdout: "pipe",
      timeout: 8000,
    });
    const reader = socat.stdout.getReader();
    socat.stdin.write("late fin\n");
    await socat.stdin.end();
    const parts: Uint8Array[] = [];
    let echoedAt = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
      echoedAt = performance.now();
    }
    expect(await socat.exited).toBe(0);
    const gapMs = performance.now() - echoedAt;
    expect(Buffer.concat(parts).toString()).toBe("late fin\n");
    expect(gapMs).toBeGreaterThanOrEqual(MS - 5);
    expect(gapMs).toBeLessThan(MS + 3000);
    expect(await waitFor(() => server.stats.faults.slow_close === 1)).toBe(true);
  });

  test("a shutdown does not wait for a held end", async () => {
    const server = startServer({ slowClose: 60_000 });
    const socket = await connect(server.port);
    const fin = untilFin(socket);
    socket.end("bye");
    expect(await waitFor(() => server.stats.faults.slow_close === 1)).toBe(true);
    const started = performance.now();
    const summary = await server.stop(5);
    expect(performance.now() - started).toBeLessThan(2000);
    expect((await fin).received.toString()).toBe("bye");
    expect(summary.cut).toBe(0);
    socket.destroy();
  });

  test("a bad value exits 2 with one line naming the flag", async () => {
    await expectRefusedRun(
      ["--slow-close", "soon"],
      {},
      'echod: invalid --slow-close "soon": must be a decimal integer from 0 to 2147483647, such as 250',
    );
  });
});
