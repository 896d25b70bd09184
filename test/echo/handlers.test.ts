/**
 * The raw echo handlers against a stand-in socket, for what a real socket
 * cannot show: which chunks give their memory back at once (release, see
 * RELEASE_AT in coalesce.ts) and that a chunk still queued never does.
 * Byte-exact echo over real sockets, large chunks included, is in
 * server.test.ts.
 */
import { describe, expect, test } from "bun:test";
import { RELEASE_AT, release } from "../../src/echo/coalesce.ts";
import type { Connection, EchoSocket } from "../../src/echo/connection.ts";
import { createConnection } from "../../src/echo/connection.ts";
import { createHandlers } from "../../src/echo/handlers.ts";
import type { EchoContext } from "../../src/echo/lifecycle.ts";
import { createTestContext } from "../helpers/echo-context.ts";

function context(): EchoContext {
  return createTestContext(100);
}

/** A socket whose kernel takes `accept(length)` bytes of each write, recording what it took. */
function fakeSocket(accept: (length: number) => number) {
  const sent: number[] = [];
  const socket = {
    data: createConnection(0, ""),
    write(chunk: Uint8Array) {
      const n = accept(chunk.length);
      // What the kernel takes, it copies now: read the bytes before the handler can release them.
      sent.push(...chunk.subarray(0, n));
      return n;
    },
    pause() {},
    resume() {},
  };
  return { socket: socket as unknown as EchoSocket & { data: Connection }, sent };
}

/** A chunk as Bun hands it to `data`: a fresh buffer of its own. */
function chunk(size: number): Buffer<ArrayBuffer> {
  const b = Buffer.from(new ArrayBuffer(size)); // a view of all of its own ArrayBuffer
  for (let i = 0; i < size; i++) b[i] = i % 251;
  return b;
}

describe("releasing a read buffer once the kernel took all of it", () => {
  test(`a chunk of RELEASE_AT (${RELEASE_AT}) bytes or more, written whole, is freed at once`, () => {
    const ctx = context();
    const handlers = createHandlers(ctx);
    const { socket, sent } = fakeSocket((n) => n);
    const big = chunk(RELEASE_AT);
    handlers.data?.(socket, big);
    expect(big.buffer.detached).toBe(true);
    expect(sent).toHaveLength(RELEASE_AT);
    expect(sent[RELEASE_AT - 1]).toBe((RELEASE_AT - 1) % 251);
    expect(ctx.stats.sentBytes).toBe(RELEASE_AT);
  });

  test("a smaller chunk is left to the collector", () => {
    const handlers = createHandlers(context());
    const { socket } = fakeSocket((n) => n);
    const small = chunk(RELEASE_AT - 1);
    handlers.data?.(socket, small);
    expect(small.buffer.detached).toBe(false);
  });

  test("a chunk the kernel took only part of stays whole in the queue, then is written out", () => {
    const ctx = context();
    const handlers = createHandlers(ctx);
    let take = 1000;
    const { socket, sent } = fakeSocket((n) => Math.min(n, take));
    const big = chunk(4 * RELEASE_AT);
    handlers.data?.(socket, big);
    expect(big.buffer.detached).toBe(false);
    expect(socket.data.queued).toBe(4 * RELEASE_AT - 1000);
    take = Number.POSITIVE_INFINITY;
    handlers.drain?.(socket);
    expect(socket.data.queued).toBe(0);
    expect(Buffer.from(sent).equals(chunk(4 * RELEASE_AT))).toBe(true);
  });

  test("release leaves alone a view of part of a buffer", () => {
    const whole = new Uint8Array(2 * RELEASE_AT);
    release(whole.subarray(0, RELEASE_AT));
    expect(whole.buffer.detached).toBe(false);
    release(whole);
    expect(whole.buffer.detached).toBe(true);
  });
});
