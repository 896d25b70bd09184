/**
 * The connection lifecycle against stand-in sockets: the limits, the
 * rate-limited rejection warning, how errors map to close reasons, and the
 * books kept on close.
 */
import { describe, expect, test } from "bun:test";
import type { EchoSocket } from "../../src/echo/connection.ts";
import {
  closeConnection,
  type EchoContext,
  openConnection,
  pauseAboveHighWater,
  reasonForError,
} from "../../src/echo/lifecycle.ts";
import { createSilentLogger, type Logger } from "../../src/log.ts";
import { createTestContext } from "../helpers/echo-context.ts";

function context(overrides: Partial<EchoContext> = {}): EchoContext {
  return createTestContext(2, { highWater: 100, lowWater: 50, ...overrides });
}

function socket(remoteAddress = "10.0.0.1") {
  const s = { data: undefined, remoteAddress, remotePort: 4000, ended: 0, paused: 0 } as {
    data: unknown;
    remoteAddress: string;
    remotePort: number;
    ended: number;
    paused: number;
    end(): void;
    pause(): void;
  };
  s.end = () => {
    s.ended++;
  };
  s.pause = () => {
    s.paused++;
  };
  return s as typeof s & EchoSocket;
}

/** A logger that records warn lines (the rest is silent). */
function warnings(): { log: Logger; lines: unknown[] } {
  const lines: unknown[] = [];
  const log = createSilentLogger();
  log.warn = ((obj: unknown) => {
    lines.push(obj);
  }) as Logger["warn"];
  return { log, lines };
}

describe("connection lifecycle", () => {
  test("past --max-connections a new connection is rejected with a FIN and never served", () => {
    const ctx = context();
    expect(openConnection(ctx, socket())).not.toBeNull();
    expect(openConnection(ctx, socket())).not.toBeNull();
    const third = socket();
    expect(openConnection(ctx, third)).toBeNull();
    expect(third.ended).toBe(1);
    expect(third.data).toBeUndefined();
    expect(ctx.stats.rejected.max_connections).toBe(1);
    expect(ctx.stats.accepted).toBe(2);
    expect(ctx.limits.active).toBe(2);
  });

  test("the per-IP limit counts each address apart and is given back on close", () => {
    const ctx = context({ maxConnections: 10, maxConnectionsPerIp: 1 });
    const a = socket("10.0.0.1");
    openConnection(ctx, a);
    expect(openConnection(ctx, socket("10.0.0.1"))).toBeNull();
    expect(openConnection(ctx, socket("10.0.0.2"))).not.toBeNull();
    expect(ctx.stats.rejected.per_ip_limit).toBe(1);
    closeConnection(ctx, a);
    expect(ctx.limits.perIp.has("10.0.0.1")).toBe(false);
    expect(openConnection(ctx, socket("10.0.0.1"))).not.toBeNull();
  });

  test("close books the reason, the active count and what was still queued as discarded", () => {
    const ctx = context();
    const s = socket();
    const conn = openConnection(ctx, s);
    if (conn === null) throw new Error("not served");
    conn.queued = 30;
    ctx.stats.bufferedBytes = 30;
    closeConnection(ctx, s, Object.assign(new Error("reset"), { code: "ECONNRESET" }));
    expect(ctx.stats.closed.peer_reset).toBe(1);
    expect(ctx.stats.active).toBe(0);
    expect(ctx.stats.bufferedBytes).toBe(0);
    expect(ctx.stats.discardedBytes).toBe(30);
    expect(ctx.sockets.size).toBe(0);
  });

  test("rejections are warned about at most once a second, with the count since the last line", async () => {
    const { log, lines } = warnings();
    const ctx = context({ log, maxConnections: 0 });
    for (let i = 0; i < 5; i++) openConnection(ctx, socket());
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ rejected: 1, reason: "max_connections", maxConnections: 0 });
    expect(ctx.stats.rejected.max_connections).toBe(5);
    // The other four, in one line when the second is over.
    await Bun.sleep(1100);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatchObject({ rejected: 4, reason: "max_connections" });
  });

  test("reading pauses once, above the high-water mark", () => {
    const ctx = context();
    const s = socket();
    const conn = openConnection(ctx, s);
    if (conn === null) throw new Error("not served");
    pauseAboveHighWater(ctx, s, conn, 100);
    expect(s.paused).toBe(0);
    pauseAboveHighWater(ctx, s, conn, 101);
    pauseAboveHighWater(ctx, s, conn, 200);
    expect(s.paused).toBe(1);
    expect(ctx.stats.backpressurePauses).toBe(1);
  });

  test("a reset or broken pipe is peer_reset; anything else, undefined included, is error", () => {
    expect(reasonForError({ code: "ECONNRESET" })).toBe("peer_reset");
    expect(reasonForError({ code: "EPIPE" })).toBe("peer_reset");
    expect(reasonForError({ code: "ETIMEDOUT" })).toBe("error");
    expect(reasonForError(undefined)).toBe("error");
  });
});
