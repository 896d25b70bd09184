/**
 * SIGTERM under full load: a spawned echod with 50 clients streaming at full
 * speed (and, in the second case, 5 more that never read) gets SIGTERM.
 * Every byte echod received before it stopped reading must come back before
 * the connection closes: each client's echo is an exact prefix of what it
 * sent, equal to what echod says it received from and sent to that client
 * (its debug "connection closed" line, matched by port), and the totals
 * match the "echod stopped" summary. Connections that cannot take their echo
 * are cut by --shutdown-timeout and counted as such.
 */
import { expect, test } from "bun:test";
import type net from "node:net";
import { connect, randomPayload } from "../helpers/net-client.ts";
import { killedAfterEach, spawnEchod } from "../helpers/spawn-echod.ts";
import { startStream } from "./tools.ts";

const STREAMS = 50;

const running = killedAfterEach();

for (const { stuck, timeout, workers } of [
  { stuck: 0, timeout: 20, workers: 1 },
  { stuck: 5, timeout: 2, workers: 1 },
  { stuck: 0, timeout: 20, workers: 2 },
]) {
  test(`SIGTERM ${workers > 1 ? `to ${workers} workers ` : ""}with ${STREAMS} clients streaming${stuck ? ` and ${stuck} that never read` : ""}: every received byte is echoed before close${stuck ? `, the ${stuck} are cut after ${timeout} s` : ""}`, async () => {
    const echod = await spawnEchod([
      "0",
      "--host",
      "127.0.0.1",
      "--no-metrics",
      "--log-level",
      "debug",
      "--max-buffer",
      "64KiB",
      "--shutdown-timeout",
      String(timeout),
      "--workers",
      String(workers),
    ]);
    running.push(echod);
    const streams = await Promise.all(
      Array.from({ length: STREAMS }, () => startStream(echod.port)),
    );
    const stuckSockets: net.Socket[] = [];
    const stuckPorts: number[] = [];
    for (let i = 0; i < stuck; i++) {
      const socket = await connect(echod.port);
      socket.pause();
      socket.on("error", () => {});
      socket.write(randomPayload(8 * 1024 * 1024));
      stuckSockets.push(socket);
      stuckPorts.push(socket.localPort as number);
    }
    await Bun.sleep(1500);
    const signalled = performance.now();
    echod.kill("SIGTERM");
    await Promise.race([Promise.all(streams.map((s) => s.closed)), Bun.sleep(30_000)]);
    const code = await echod.exited;
    const drainMs = performance.now() - signalled;
    for (const s of stuckSockets) s.destroy();

    expect(code).toBe(0);
    const summary = echod.lines.find((l) => l.msg === "echod stopped") as {
      drained: number;
      cut: number;
      receivedBytes: number;
      sentBytes: number;
      discardedBytes: number;
    };
    const closedLines = new Map(
      echod.lines
        .filter((l) => l.msg === "connection closed")
        .map((l) => [Number(String(l.remote).split(":").pop()), l]),
    );
    let echoed = 0;
    let streamsCut = 0;
    for (const s of streams) {
      expect(s.mismatch()).toBeNull();
      expect(s.received()).toBeGreaterThan(0);
      expect(s.received()).toBeLessThanOrEqual(s.sent());
      const line = closedLines.get(s.localPort) as Record<string, unknown>;
      if (line.reason === "shutdown_timeout") {
        // Cut by the timeout (a busy machine can slow a reader that much):
        // allowed, and counted; the reset may lose echo still in flight.
        streamsCut++;
        expect(s.received()).toBeLessThanOrEqual(Number(line.bytesOut));
        expect(Number(line.bytesOut)).toBeLessThanOrEqual(Number(line.bytesIn));
      } else {
        // Drained: everything echod read from this client came back to it.
        expect(line).toMatchObject({
          reason: "shutdown",
          bytesIn: s.received(),
          bytesOut: s.received(),
        });
      }
      echoed += s.received();
    }
    for (const port of stuckPorts) {
      expect(closedLines.get(port)?.reason).toBe("shutdown_timeout");
    }
    expect(summary.cut).toBe(stuck + streamsCut);
    expect(summary.drained).toBe(STREAMS - streamsCut);
    if (stuck === 0) {
      // 20 s is ample: every stream drains, and the totals are exactly theirs.
      expect(streamsCut).toBe(0);
      expect(summary.sentBytes).toBe(echoed);
    } else {
      // The cut ones took part of their echo: echod sent everything to the
      // others plus some to them, and received more than it could send.
      expect(summary.sentBytes).toBeGreaterThan(echoed);
      expect(summary.receivedBytes).toBeGreaterThan(summary.sentBytes);
    }
    // Every byte read was echoed or dropped (after echod's FIN, or queued for a cut client).
    expect(summary.receivedBytes).toBe(summary.sentBytes + summary.discardedBytes);
    console.log(
      `SIGTERM under load${workers > 1 ? ` (${workers} workers)` : ""}: ${STREAMS} streams${stuck ? ` + ${stuck} non-reading` : ""}; ` +
        `${(echoed / 2 ** 20).toFixed(0)} MiB echoed to the streams, drained ${summary.drained}, cut ${summary.cut} (streams among them: ${streamsCut}), ` +
        `discarded ${summary.discardedBytes} bytes; exit after ${drainMs.toFixed(0)} ms`,
    );
  }, 60_000);
}
