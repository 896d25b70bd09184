/**
 * Framing and the fault knobs on a real listener, measured from the client
 * side: split and coalesced messages, the message size limit, --delay,
 * --bandwidth, --slice, --close-after, --reset-after, --fault-rate and the
 * per-IP limit. Timings are compared with an undelayed run in the same test
 * and checked with generous bounds (the machine is shared and noisy).
 */
import { describe, expect, test } from "bun:test";
import type net from "node:net";
import { encodeLengthPrefixed } from "../../../src/echo/faults/length-prefixed-framer.ts";
import { startServer } from "../../helpers/echo-server.ts";
import { closed, connect, echoOnce, waitFor } from "../../helpers/net-client.ts";
import { randomPayload, sha256 } from "../../helpers/payload.ts";

const start = startServer;

/** Milliseconds from writing `payload` until `expected` bytes have come back. */
async function roundTrip(port: number, payload: Uint8Array, expected = payload.length) {
  const socket = await connect(port);
  const started = performance.now();
  let got = 0;
  let reads = 0;
  let largestRead = 0;
  const done = new Promise<void>((resolve) => {
    socket.on("data", (d: Buffer) => {
      got += d.length;
      reads++;
      largestRead = Math.max(largestRead, d.length);
      if (got >= expected) resolve();
    });
  });
  socket.write(payload);
  await done;
  const ms = performance.now() - started;
  socket.destroy();
  return { ms, reads, largestRead };
}

/** Sends `payload`, half-closes and collects everything plus how the connection ended. */
async function collect(port: number, payload: Uint8Array, sendChunk = payload.length) {
  return echoOnce(port, payload, { chunk: Math.max(1, sendChunk) });
}

/** A server with `options` that echoes `size` random bytes, sent `sendChunk` at a time, back whole. */
async function echoesWhole(options: Parameters<typeof start>[0], size: number, sendChunk: number) {
  const server = start(options);
  const payload = randomPayload(size);
  const { received } = await collect(server.port, payload, sendChunk);
  expect(sha256(received)).toBe(sha256(payload));
  return server;
}

describe("--framing line", () => {
  test("lines sent a byte at a time and many at once come back whole, each counted", async () => {
    const server = start({ framing: "line" });
    const text = "alpha\nbeta\r\ngamma\n";
    const { received } = await collect(server.port, Buffer.from(text.repeat(50)), 1);
    expect(received.toString()).toBe(text.repeat(50));
    const coalesced = await collect(server.port, Buffer.from(text.repeat(50)));
    expect(coalesced.received.toString()).toBe(text.repeat(50));
    expect(await waitFor(() => server.stats.messages === 300)).toBe(true);
  });

  test("a partial line is held until its newline arrives", async () => {
    const server = start({ framing: "line" });
    const socket = await connect(server.port);
    const parts: string[] = [];
    socket.on("data", (d: Buffer) => parts.push(d.toString()));
    socket.write("no newline yet");
    await Bun.sleep(150);
    expect(parts).toEqual([]);
    socket.write(" - now\n");
    expect(await waitFor(() => parts.join("") === "no newline yet - now\n")).toBe(true);
    socket.destroy();
  });

  test("a line over --max-message-size closes the connection (message_too_large), earlier lines echoed", async () => {
    const server = start({ framing: "line", maxMessageSize: 16 });
    const { received, clean } = await collect(
      server.port,
      Buffer.from(`short\n${"x".repeat(17)}\nnever\n`),
    );
    expect(received.toString()).toBe("short\n");
    expect(clean).toBe(true);
    expect(await waitFor(() => server.stats.closed.message_too_large === 1)).toBe(true);
    expect(server.stats.messages).toBe(1);
  });
});

describe("--framing length-prefixed", () => {
  test("frames split anywhere or coalesced come back as whole frames", async () => {
    const server = start({ framing: "length-prefixed" });
    const frames = Array.from({ length: 100 }, (_, i) =>
      encodeLengthPrefixed(randomPayload(i * 37)),
    );
    const stream = Buffer.concat(frames);
    for (const chunk of [1, 7, 1000, stream.length]) {
      const { received } = await collect(server.port, stream, chunk);
      expect(sha256(received)).toBe(sha256(stream));
    }
    expect(await waitFor(() => server.stats.messages === 400)).toBe(true);
  });

  test("an incomplete last frame is not echoed; an over-size header closes the connection", async () => {
    const server = start({ framing: "length-prefixed", maxMessageSize: 1024 });
    const whole = encodeLengthPrefixed(Buffer.from("complete"));
    const partial = encodeLengthPrefixed(Buffer.from("cut short")).subarray(0, 8);
    const { received } = await collect(server.port, Buffer.concat([whole, partial]));
    expect(Buffer.compare(received, Buffer.from(whole))).toBe(0);

    const big = new Uint8Array([0, 0, 4, 1]); // announces 1025 bytes
    const refused = await collect(server.port, Buffer.concat([whole, big]));
    expect(Buffer.compare(refused.received, Buffer.from(whole))).toBe(0);
    expect(await waitFor(() => server.stats.closed.message_too_large === 1)).toBe(true);
  });
});

describe("--delay", () => {
  test("a 200 ms delay shows as about 200 ms more than the undelayed echo", async () => {
    const plain = start();
    const delayed = start({ delay: "200" });
    const payload = Buffer.from("ping");
    const base = (await roundTrip(plain.port, payload)).ms;
    const slow = (await roundTrip(delayed.port, payload)).ms;
    expect(slow - base).toBeGreaterThanOrEqual(190);
    expect(slow - base).toBeLessThan(600);
    expect(delayed.stats.faults.delay).toBe(1);
    expect(plain.stats.faults.delay).toBe(0);
  });

  test("with jitter, each message waits between MS and MS+JITTER and order is kept", async () => {
    const server = start({ delay: "50:100", framing: "line" });
    const lines = Array.from({ length: 40 }, (_, i) => `line ${i}\n`).join("");
    const started = performance.now();
    const { received } = await collect(server.port, Buffer.from(lines), 9);
    const ms = performance.now() - started;
    expect(received.toString()).toBe(lines);
    expect(ms).toBeGreaterThanOrEqual(50);
    expect(server.stats.faults.delay).toBe(40);
  });

  test("a delayed echo keeps memory within --max-buffer: reading pauses, every byte comes back", async () => {
    const maxBuffer = 64 * 1024;
    const server = await echoesWhole({ delay: "100", maxBuffer }, 8 * 1024 * 1024, 256 * 1024);
    expect(server.stats.backpressurePauses).toBeGreaterThan(0);
    // The mark plus one read (Bun reads at most 512 KiB at a time).
    expect(server.stats.peakConnectionBuffer).toBeLessThanOrEqual(maxBuffer + 512 * 1024);
    expect(await waitFor(() => server.stats.bufferedBytes === 0)).toBe(true);
  }, 60_000);
});

describe("shutdown with faults on", () => {
  test("stop() still echoes what is waiting for its delay, then sends the FIN", async () => {
    const server = start({ delay: "300" });
    const socket = await connect(server.port);
    let got = "";
    socket.on("data", (d: Buffer) => {
      got += d.toString();
    });
    socket.once("end", () => socket.end()); // a well-behaved client closes when the server does
    socket.write("in flight");
    expect(await waitFor(() => server.stats.receivedBytes === 9)).toBe(true);
    const stopped = performance.now();
    const summary = await server.stop(5);
    await closed(socket);
    expect(got).toBe("in flight");
    expect(performance.now() - stopped).toBeGreaterThanOrEqual(200);
    expect(summary.drained).toBe(1);
    expect(summary.cut).toBe(0);
  });
});

describe("--bandwidth", () => {
  test("256 KiB at 128 KiB/s takes about 2 s, against a fast undelayed echo", async () => {
    const plain = start();
    const limited = start({ bandwidth: "128KiB" });
    const payload = randomPayload(256 * 1024);
    const base = (await roundTrip(plain.port, payload)).ms;
    const slow = (await roundTrip(limited.port, payload)).ms;
    // 2 s minus the 50 ms burst; the upper bound leaves room for a busy machine.
    expect(slow).toBeGreaterThanOrEqual(1800);
    expect(slow).toBeLessThan(3500);
    expect(base).toBeLessThan(slow / 4);
    expect(limited.stats.faults.bandwidth).toBeGreaterThan(0);
  }, 20_000);

  test("a throttled client that sends much more than it reads stays within --max-buffer", async () => {
    const maxBuffer = 32 * 1024;
    const server = await echoesWhole({ bandwidth: "1MiB", maxBuffer }, 3 * 1024 * 1024, 512 * 1024);
    expect(server.stats.peakConnectionBuffer).toBeLessThanOrEqual(maxBuffer + 512 * 1024);
  }, 30_000);
});

describe("--slice", () => {
  test("the echo arrives in many small writes instead of one", async () => {
    const plain = start();
    const sliced = start({ slice: 100 });
    const payload = randomPayload(10_000);
    const whole = await roundTrip(plain.port, payload);
    const pieces = await roundTrip(sliced.port, payload);
    expect(whole.reads).toBeLessThanOrEqual(3);
    // 100 writes of 100 bytes; the client may read a few at once, but most come apart.
    expect(pieces.reads).toBeGreaterThanOrEqual(20);
    expect(sliced.stats.faults.slice).toBe(1);
    const { received } = await collect(sliced.port, payload);
    expect(sha256(received)).toBe(sha256(payload));
  });
});

describe("--close-after and --reset-after", () => {
  test("--close-after 1000 echoes exactly 1000 bytes, then a clean FIN", async () => {
    const server = start({ closeAfter: 1000 });
    const payload = randomPayload(5000);
    const { received, clean } = await collect(server.port, payload, 300);
    expect(Buffer.compare(received, payload.subarray(0, 1000))).toBe(0);
    expect(clean).toBe(true);
    expect(await waitFor(() => server.stats.faults.close === 1)).toBe(true);
    expect(server.stats.closed.fault_close).toBe(1);
  });

  test("--reset-after 1000 echoes at most 1000 bytes, then the client sees ECONNRESET", async () => {
    const server = start({ resetAfter: 1000 });
    const socket = await connect(server.port);
    let got = Buffer.alloc(0);
    let error = "";
    socket.on("data", (d: Buffer) => {
      got = Buffer.concat([got, d]);
    });
    socket.on("error", (e: Error & { code?: string }) => {
      error = e.code ?? e.message;
    });
    const payload = randomPayload(5000);
    socket.write(payload);
    await closed(socket);
    expect(error).toBe("ECONNRESET");
    expect(got.length).toBeLessThanOrEqual(1000);
    expect(Buffer.compare(got, payload.subarray(0, got.length))).toBe(0);
    expect(await waitFor(() => server.stats.faults.reset === 1)).toBe(true);
    expect(server.stats.closed.fault_reset).toBe(1);
  });
});

describe("--fault-rate", () => {
  test("0.5 gives the faults to some connections and not others", async () => {
    const server = start({ closeAfter: 10, faultRate: 0.5 });
    const payload = randomPayload(100);
    const results = await Promise.all(
      Array.from({ length: 40 }, () => collect(server.port, payload)),
    );
    const cut = results.filter((r) => r.received.length === 10).length;
    const whole = results.filter((r) => sha256(r.received) === sha256(payload)).length;
    expect(cut + whole).toBe(40);
    // Binomial(40, 0.5): outside 5..35 with probability below 1e-6.
    expect(cut).toBeGreaterThanOrEqual(5);
    expect(cut).toBeLessThanOrEqual(35);
    expect(await waitFor(() => server.stats.faults.close === cut)).toBe(true);
  });

  test("0 turns the faults off", async () => {
    const server = start({ closeAfter: 10, faultRate: 0 });
    const payload = randomPayload(100);
    const { received } = await collect(server.port, payload);
    expect(received.length).toBe(100);
    expect(server.stats.faults.close).toBe(0);
  });
});

describe("--max-connections-per-ip", () => {
  test("past the limit one address is rejected (per_ip_limit) while another is served", async () => {
    const server = start({ maxConnectionsPerIp: 2 });
    const held: net.Socket[] = [await connect(server.port), await connect(server.port)];
    expect(await waitFor(() => server.stats.active === 2)).toBe(true);
    const extra = await connect(server.port);
    await new Promise((r) => extra.once("end", r));
    extra.destroy();
    expect(server.stats.rejected.per_ip_limit).toBe(1);
    // 127.0.0.2 is another loopback address: its own count.
    const { connect: netConnect } = await import("node:net");
    const other = netConnect({ port: server.port, host: "127.0.0.1", localAddress: "127.0.0.2" });
    const echoed = new Promise<string>((r) => other.once("data", (d: Buffer) => r(d.toString())));
    other.write("other address");
    expect(await echoed).toBe("other address");
    other.destroy();
    // When one of the first two leaves, that address may connect again.
    held[0]?.destroy();
    expect(await waitFor(() => server.stats.active === 1)).toBe(true);
    const { received } = await collect(server.port, Buffer.from("again"));
    expect(received.toString()).toBe("again");
    held[1]?.destroy();
  });
});
