/**
 * Reset storm: 10,000 connections reset (RST) mid-transfer, in batches of
 * 250, against a spawned echod while 4 other clients stream and verify every
 * byte. Bun's `socket.terminate()` sends RST (echod sees ECONNRESET even on
 * an idle connection, which a FIN never causes; `peer_reset` below counts it).
 */
import { expect, test } from "bun:test";
import net from "node:net";
import { waitFor } from "../helpers/net-client.ts";
import { killedAfterEach, LOOPBACK_WITH_ADMIN, spawnEchod } from "../helpers/spawn-echod.ts";
import { metrics, openFds, startStream, total } from "./tools.ts";

const RESETS = 10_000;
const BATCH = 250;
const STREAMS = 4;

const running = killedAfterEach();

/** Connects, sends 64 KiB, and resets as soon as the first echo arrives (or after 2 s). */
function resetMidTransfer(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let echoed = false;
    Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        open(socket) {
          socket.write(new Uint8Array(64 * 1024).fill(7));
          timer = setTimeout(() => socket.terminate(), 2000);
        },
        data(socket) {
          if (echoed) return;
          echoed = true;
          socket.terminate();
        },
        close() {
          clearTimeout(timer);
          resolve(echoed);
        },
        connectError() {
          resolve(false);
        },
      },
    }).catch(() => resolve(false));
  });
}

test(`${RESETS.toLocaleString("en")} connections reset mid-transfer: ${STREAMS} streaming clients lose nothing, active returns to 0, descriptors return to the start`, async () => {
  const echod = await spawnEchod([...LOOPBACK_WITH_ADMIN]);
  running.push(echod);
  const admin = echod.metricsPort as number;
  // The scrape's keep-alive connection stays open: make it before counting descriptors.
  await metrics(admin);
  const fdsBefore = openFds(echod.proc.pid);

  const streams = await Promise.all(Array.from({ length: STREAMS }, () => startStream(echod.port)));
  const started = performance.now();
  let midTransfer = 0;
  for (let done = 0; done < RESETS; done += BATCH) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(BATCH, RESETS - done) }, () => resetMidTransfer(echod.port)),
    );
    midTransfer += batch.filter(Boolean).length;
  }
  const stormMs = performance.now() - started;
  await Promise.all(streams.map((s) => s.finish()));

  for (const s of streams) {
    expect(s.mismatch()).toBeNull();
    expect(s.received()).toBe(s.sent());
    expect(s.sent()).toBeGreaterThan(0);
  }
  const streamed = streams.reduce((n, s) => n + s.received(), 0);
  let m = await metrics(admin);
  for (let i = 0; i < 50 && total(m, "echod_connections_active") !== 0; i++) {
    await Bun.sleep(100);
    m = await metrics(admin);
  }
  const fdsAfter = openFds(echod.proc.pid);
  console.log(
    `reset storm: ${RESETS} resets (${midTransfer} after the first echo) in ${(stormMs / 1000).toFixed(1)} s; ` +
      `${STREAMS} streams verified ${(streamed / 2 ** 20).toFixed(0)} MiB; ` +
      `peer_reset ${total(m, "echod_connections_closed_total", { reason: "peer_reset" })}, peer_closed ${total(m, "echod_connections_closed_total", { reason: "peer_closed" })}; fds ${fdsBefore} -> ${fdsAfter}`,
  );
  expect(midTransfer).toBeGreaterThan(RESETS * 0.9);
  expect(total(m, "echod_connections_active")).toBe(0);
  expect(total(m, "echod_buffered_bytes")).toBe(0);
  expect(total(m, "echod_connections_accepted_total")).toBe(RESETS + STREAMS);
  // Resets are counted as peer_reset (a FIN would count as peer_closed). Bun
  // 1.4.5 reports a reset that arrives while input is still being read as an
  // orderly close, so allow a few of those (none seen in this test so far).
  const resetCount = total(m, "echod_connections_closed_total", { reason: "peer_reset" });
  const closedCount = total(m, "echod_connections_closed_total", {
    reason: "peer_closed",
  }) as number;
  expect(resetCount + closedCount).toBe(RESETS + STREAMS);
  expect(resetCount).toBeGreaterThanOrEqual(RESETS * 0.99);
  expect(total(m, "echod_connections_closed_total", { reason: "error" })).toBe(0);
  expect(fdsAfter).toBe(fdsBefore);
  expect(echod.proc.exitCode).toBeNull();
}, 120_000);

/** Opens `count` connections to `port`; each, once connected, writes `write` and sends RST (`afterMs` later). */
async function connectThenReset(
  port: number,
  count: number,
  { write, afterMs }: { write?: Buffer; afterMs?: number },
): Promise<void> {
  await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<void>((resolve) => {
          const socket = net.connect({ port, host: "127.0.0.1" });
          socket.on("error", () => {});
          socket.once("connect", () => {
            if (write) socket.write(write);
            const reset = () => {
              socket.resetAndDestroy();
              resolve();
            };
            if (afterMs === undefined) reset();
            else setTimeout(reset, afterMs);
          });
        }),
    ),
  );
}

test("Bun fact: of 300 resets sent right behind 32 KiB of data, Bun reports some as an orderly close (end, then close without error); 50 resets of idle connections arrive as ECONNRESET", async () => {
  // Why peer_reset is a lower bound (docs/reliability.md). If a Bun upgrade
  // makes this fail, every reset reaches close() with an error: drop the caveat.
  const seen = { endThenClean: 0, resetError: 0, other: 0 };
  const listener = Bun.listen<{ ended: boolean }>({
    hostname: "127.0.0.1",
    port: 0,
    allowHalfOpen: true,
    socket: {
      open(socket) {
        socket.data = { ended: false };
      },
      data(socket, chunk) {
        socket.write(chunk);
      },
      end(socket) {
        socket.data.ended = true;
        socket.end();
      },
      close(socket, error) {
        const code = (error as (Error & { code?: string }) | undefined)?.code;
        if (socket.data.ended && error === undefined) seen.endThenClean++;
        else if (code === "ECONNRESET") seen.resetError++;
        else seen.other++;
      },
    },
  });
  try {
    await connectThenReset(listener.port, 300, { write: Buffer.alloc(32 * 1024) });
    await waitFor(() => seen.endThenClean + seen.resetError + seen.other === 300, 5000);
    console.log(
      `Bun fact: 300 resets behind data: ${seen.endThenClean} end + clean close, ${seen.resetError} close with ECONNRESET, ${seen.other} other`,
    );
    expect(seen.endThenClean + seen.resetError + seen.other).toBe(300);
    expect(seen.endThenClean).toBeGreaterThan(0);

    // The control: resetAndDestroy() really sends RST, as 50 idle connections show.
    const before = { ...seen };
    await connectThenReset(listener.port, 50, { afterMs: 50 });
    await waitFor(() => seen.resetError - before.resetError === 50, 5000);
    expect(seen.resetError - before.resetError).toBe(50);
  } finally {
    listener.stop(true);
  }
});
