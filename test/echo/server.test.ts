/**
 * The echo engine against real loopback sockets: byte-exact echo, bounded
 * buffers for clients that do not read, half-close, the idle timeout and the
 * connection limit. Servers bind port 0 and are stopped after each test.
 */
import { describe, expect, test } from "bun:test";
import { startServer } from "../helpers/echo-server.ts";
import { closed, connect, echoOnce, waitFor } from "../helpers/net-client.ts";
import { randomPayload, sha256 } from "../helpers/payload.ts";

const start = startServer;

describe("byte-exact echo", () => {
  for (const size of [1, 7, 4096, 65_537, 1024 * 1024 + 3, 16 * 1024 * 1024, 64 * 1024 * 1024]) {
    test(`a ${size}-byte random payload comes back with the same SHA-256`, async () => {
      const server = start();
      const payload = randomPayload(size);
      const { received, clean } = await echoOnce(server.port, payload, { chunk: 256 * 1024 });
      expect(received.length).toBe(size);
      expect(sha256(received)).toBe(sha256(payload));
      expect(clean).toBe(true);
      expect(await waitFor(() => server.stats.active === 0)).toBe(true);
      expect(server.stats.receivedBytes).toBe(size);
      expect(server.stats.sentBytes).toBe(size);
      expect(server.stats.closed.peer_closed).toBe(1);
      expect(server.stats.bufferedBytes).toBe(0);
    });
  }

  test("one-byte writes come back in order", async () => {
    const server = start();
    const payload = randomPayload(3000);
    const { received } = await echoOnce(server.port, payload, { chunk: 1 });
    expect(Buffer.compare(received, payload)).toBe(0);
  });

  test("200 concurrent clients each get exactly their own bytes", async () => {
    const server = start();
    const payloads = Array.from({ length: 200 }, (_, i) => randomPayload(1000 + i * 613));
    const results = await Promise.all(
      payloads.map((p, i) =>
        echoOnce(server.port, p, { chunk: [13, 1000, 4096, 65_536][i % 4] as number }),
      ),
    );
    results.forEach(({ received }, i) => {
      expect(sha256(received)).toBe(sha256(payloads[i] as Buffer));
    });
    expect(await waitFor(() => server.stats.active === 0)).toBe(true);
    expect(server.stats.accepted).toBe(200);
    const total = payloads.reduce((n, p) => n + p.length, 0);
    expect(server.stats.receivedBytes).toBe(total);
    expect(server.stats.sentBytes).toBe(total);
  });
});

describe("backpressure", () => {
  test("a client that sends 256 MiB without reading is bounded by --max-buffer, then gets every byte", async () => {
    const maxBuffer = 256 * 1024;
    const server = start({ maxBuffer });
    const socket = await connect(server.port);
    socket.pause(); // do not read: the server must stop reading from us
    const total = 256 * 1024 * 1024;
    const block = randomPayload(1024 * 1024);
    const sender = (async () => {
      for (let sent = 0; sent < total; sent += block.length) {
        if (!socket.write(block)) await new Promise((r) => socket.once("drain", r));
      }
      socket.end();
    })();
    // Writing stalls once the kernel buffers and the server's queue are full.
    await Bun.sleep(500);
    expect(server.stats.backpressurePauses).toBeGreaterThan(0);
    const stalledAt = server.stats.receivedBytes;
    expect(stalledAt).toBeLessThan(total);
    // Bound: the high-water mark plus one read (Bun reads at most 512 KiB at a time).
    expect(server.stats.bufferedBytes).toBeLessThanOrEqual(maxBuffer + 512 * 1024);

    const hash = (await import("node:crypto")).createHash("sha256");
    const expected = (await import("node:crypto")).createHash("sha256");
    for (let i = 0; i < total / block.length; i++) expected.update(block);
    let received = 0;
    socket.on("data", (d: Buffer) => {
      received += d.length;
      hash.update(d);
    });
    socket.resume();
    await sender;
    await closed(socket);
    expect(received).toBe(total);
    expect(hash.digest("hex")).toBe(expected.digest("hex"));
    expect(server.stats.peakConnectionBuffer).toBeLessThanOrEqual(maxBuffer + 512 * 1024);
    expect(server.stats.bufferedBytes).toBe(0);
  }, 120_000);
});

describe("limits", () => {
  test("--max-connections rejects the extra client and accepts again after one leaves", async () => {
    const server = start({ maxConnections: 2 });
    const a = await connect(server.port);
    const b = await connect(server.port);
    expect(await waitFor(() => server.stats.active === 2)).toBe(true);
    const extra = await connect(server.port);
    await new Promise((r) => extra.once("end", r)); // the server's FIN, at once
    extra.destroy();
    expect(server.stats.rejected.max_connections).toBe(1);
    expect(server.stats.active).toBe(2);
    // The existing connections still echo.
    const got = new Promise<string>((r) => a.once("data", (d: Buffer) => r(d.toString())));
    a.write("still here");
    expect(await got).toBe("still here");

    b.destroy();
    expect(await waitFor(() => server.stats.active === 1)).toBe(true);
    const { received } = await echoOnce(server.port, Buffer.from("after"));
    expect(received.toString()).toBe("after");
    a.destroy();
  });

  test("--idle-timeout closes an idle client while an active one survives", async () => {
    const server = start({ idleTimeout: 0.4 });
    const idle = await connect(server.port);
    const active = await connect(server.port);
    let echoed = 0;
    active.on("data", (d: Buffer) => {
      echoed += d.length;
    });
    const started = performance.now();
    let idleClosedAt = 0;
    const idleGone = closed(idle).then(() => {
      idleClosedAt = performance.now() - started;
    });
    for (let i = 0; i < 20; i++) {
      active.write("ping");
      await Bun.sleep(75);
    }
    await idleGone;
    expect(idleClosedAt).toBeGreaterThanOrEqual(400);
    expect(active.destroyed).toBe(false);
    expect(echoed).toBe(80);
    expect(server.stats.closed.idle_timeout).toBe(1);
    active.destroy();
  });

  test("a client that half-closes with data still queued gets it all before the FIN", async () => {
    const server = start({ maxBuffer: 4096 });
    const payload = randomPayload(8 * 1024 * 1024);
    const { received } = await echoOnce(server.port, payload, { chunk: payload.length });
    expect(sha256(received)).toBe(sha256(payload));
  });
});

describe("stop()", () => {
  test("sends FIN to idle clients and counts those that close as drained", async () => {
    const server = start();
    const a = await connect(server.port);
    const gone = closed(a);
    a.once("end", () => a.end()); // a well-behaved client closes when the server does
    const summary = await server.stop(2);
    await gone;
    expect(summary.drained).toBe(1);
    expect(summary.cut).toBe(0);
    expect(server.stats.closed.shutdown).toBe(1);
    expect(server.listening).toBe(false);
  });

  test("cuts a client that never reads its echo once the timeout passes", async () => {
    const server = start({ maxBuffer: 64 * 1024 });
    const a = await connect(server.port);
    a.on("error", () => {});
    a.pause();
    a.write(randomPayload(16 * 1024 * 1024));
    expect(await waitFor(() => server.stats.bufferedBytes > 0)).toBe(true);
    const started = performance.now();
    const summary = await server.stop(0.3);
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    await closed(a);
    expect(summary.cut).toBe(1);
    expect(server.stats.closed.shutdown_timeout).toBe(1);
    expect(server.stats.bufferedBytes).toBe(0);
  });
});
