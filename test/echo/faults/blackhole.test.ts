/**
 * --blackhole on a real listener: a client's bytes are read and dropped,
 * nothing comes back, the connection stays open until the client ends it,
 * and the books balance (everything read is discarded).
 */
import { describe, expect, test } from "bun:test";
import { startServer } from "../../helpers/echo-server.ts";
import { closed, connect, waitFor } from "../../helpers/net-client.ts";
import { randomPayload } from "../../helpers/payload.ts";
import { expectRefusedRun } from "../../helpers/usage.ts";

describe("--blackhole", () => {
  test("8 MiB go in, nothing comes back, the connection stays open; the client's FIN closes it", async () => {
    const server = startServer({ blackhole: true });
    const socket = await connect(server.port);
    let got = 0;
    let ended = false;
    socket.on("data", (d: Buffer) => {
      got += d.length;
    });
    socket.on("end", () => {
      ended = true;
    });
    const payload = randomPayload(8 * 1024 * 1024);
    await new Promise<void>((resolve) => socket.write(payload, () => resolve()));
    const stats = server.stats;
    expect(await waitFor(() => stats.receivedBytes === payload.length)).toBe(true);
    await Bun.sleep(300);
    expect({ got, ended, active: stats.active }).toEqual({ got: 0, ended: false, active: 1 });
    expect(stats.discardedBytes).toBe(payload.length);
    expect(stats.sentBytes).toBe(0);
    expect(stats.bufferedBytes).toBe(0);
    expect(stats.backpressurePauses).toBe(0);
    expect(stats.faults.blackhole).toBeGreaterThan(0);

    socket.end();
    await closed(socket);
    expect(ended).toBe(true);
    expect(await waitFor(() => stats.closed.peer_closed === 1)).toBe(true);
    expect(stats.receivedBytes).toBe(stats.sentBytes + stats.discardedBytes + stats.bufferedBytes);
  });

  test("nc gets nothing back, and its FIN is answered at once", async () => {
    const server = startServer({ blackhole: true });
    const started = performance.now();
    const nc = Bun.spawn(["nc", "-N", "-w", "5", "127.0.0.1", String(server.port)], {
      stdin: "pipe",
      stdout: "pipe",
      timeout: 8000,
    });
    nc.stdin.write("hello\nworld\n");
    await nc.stdin.end();
    const reply = await new Response(nc.stdout).text();
    expect(await nc.exited).toBe(0);
    expect(reply).toBe("");
    expect(performance.now() - started).toBeLessThan(4000);
    expect(await waitFor(() => server.stats.closed.peer_closed === 1)).toBe(true);
    expect(server.stats.discardedBytes).toBe(12);
    expect(server.stats.faults.blackhole).toBe(1);
  });

  test("with --fault-rate 0 no connection gets it: the raw echo", async () => {
    const server = startServer({ blackhole: true, faultRate: 0 });
    const socket = await connect(server.port);
    const back = new Promise<string>((resolve) => socket.once("data", (d) => resolve(String(d))));
    socket.write("ping");
    expect(await back).toBe("ping");
    socket.destroy();
  });

  test("a bad value exits 2 with one line naming the flag", async () => {
    await expectRefusedRun(
      ["--blackhole=yes"],
      {},
      'echod: invalid --blackhole "yes": must be true or false',
    );
  });
});
