/**
 * The daemon as a process: real clients (nc) against `bun src/main.ts`,
 * graceful shutdown on SIGTERM mid-transfer, the second signal, and what the
 * logs say. Each test owns its child process and kills it at the end.
 */
import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, randomPayload, readToEnd, sha256 } from "./helpers/net-client.ts";
import { type Echod, LOOPBACK, spawnKilledAfterEach } from "./helpers/spawn-echod.ts";

const spawnEchod = spawnKilledAfterEach();

function start(args: string[] = []): Promise<Echod> {
  return spawnEchod([...LOOPBACK, ...args]);
}

function sh(script: string, timeoutMs = 60_000): Promise<{ code: number; stdout: string }> {
  const proc = Bun.spawn(["bash", "-c", script], {
    stdout: "pipe",
    stderr: "inherit",
    timeout: timeoutMs,
  });
  return Promise.all([proc.exited, new Response(proc.stdout).text()]).then(([code, stdout]) => ({
    code,
    stdout,
  }));
}

describe("real clients", () => {
  test("printf 'hello\\n' | nc -N prints hello", async () => {
    const echod = await start();
    const { code, stdout } = await sh(`printf 'hello\\n' | nc -N 127.0.0.1 ${echod.port}`);
    expect(code).toBe(0);
    expect(stdout).toBe("hello\n");
  });

  test("a 64 MiB file through nc -N comes back with the same SHA-256", async () => {
    const echod = await start(["--max-buffer", "256KiB"]);
    const file = join(tmpdir(), `echod-nc-${process.pid}.bin`);
    const payload = randomPayload(64 * 1024 * 1024);
    writeFileSync(file, payload);
    const { code, stdout } = await sh(
      `nc -N 127.0.0.1 ${echod.port} < ${file} | sha256sum; rm -f ${file}`,
    );
    expect(code).toBe(0);
    expect(stdout.split(" ")[0]).toBe(sha256(payload));
  }, 60_000);
});

describe("graceful shutdown", () => {
  test("SIGTERM mid-transfer echoes every received byte, then exits 0", async () => {
    const echod = await start(["--max-buffer", "64KiB", "--shutdown-timeout", "20"]);
    const socket = await connect(echod.port);
    socket.pause(); // let the server queue up echo it cannot send yet
    const payload = randomPayload(32 * 1024 * 1024);
    socket.write(payload);
    await Bun.sleep(300);
    echod.kill("SIGTERM");
    await echod.waitForLine((l) => l.msg === "shutting down");
    const received = await readToEnd(socket);
    expect(await echod.exited).toBe(0);
    const summary = echod.lines.find((l) => l.msg === "echod stopped") as Record<string, number>;
    // It stopped reading at SIGTERM, so it got part of the payload, and sent all of that part back.
    expect(received.length).toBeGreaterThan(0);
    expect(received.length).toBeLessThan(payload.length);
    // What arrived after echod's FIN was read and dropped: received = sent + discarded.
    expect(summary.sentBytes).toBe(received.length);
    expect(summary.receivedBytes).toBe(received.length + (summary.discardedBytes as number));
    expect(Buffer.compare(received, payload.subarray(0, received.length))).toBe(0);
    expect(summary.drained).toBe(1);
    expect(summary.cut).toBe(0);
  }, 30_000);

  test("a second signal exits at once even with a client that never reads", async () => {
    const echod = await start(["--max-buffer", "64KiB", "--shutdown-timeout", "60"]);
    const socket = await connect(echod.port);
    socket.on("error", () => {});
    socket.pause();
    socket.write(randomPayload(8 * 1024 * 1024));
    await Bun.sleep(200);
    echod.kill("SIGTERM");
    await echod.waitForLine((l) => l.msg === "shutting down");
    const started = performance.now();
    echod.kill("SIGINT");
    expect(await echod.exited).toBe(1);
    expect(performance.now() - started).toBeLessThan(5000);
    socket.destroy();
  });
});

describe("logging", () => {
  test("--log-level debug logs each connection with bytes and close reason; --log-data dumps at most 64 bytes", async () => {
    const echod = await start(["--log-level", "debug", "--log-data"]);
    const { code } = await sh(
      `head -c 1000 /dev/zero | tr '\\0' 'a' | nc -N 127.0.0.1 ${echod.port} > /dev/null`,
    );
    expect(code).toBe(0);
    const closedLine = await echod.waitForLine((l) => l.msg === "connection closed");
    expect(closedLine).toMatchObject({ bytesIn: 1000, bytesOut: 1000, reason: "peer_closed" });
    expect(String(closedLine.remote)).toMatch(/^127\.0\.0\.1:\d+$/);
    const dumps = echod.lines.filter((l) => l.msg === "data");
    const dumped = dumps.reduce((n, l) => n + String(l.hex).length / 2, 0);
    expect(dumped).toBe(64);
    expect(String(dumps[0]?.hex)).toBe("61".repeat(Math.min(64, String(dumps[0]?.hex).length / 2)));
    expect(echod.lines.some((l) => l.msg === "connection opened")).toBe(true);
  });

  test("at the default level no per-connection lines are written", async () => {
    const echod = await start();
    await sh(`printf 'x' | nc -N 127.0.0.1 ${echod.port}`);
    echod.kill();
    await echod.exited;
    expect(echod.lines.map((l) => l.msg)).toEqual([
      "echod listening",
      "shutting down",
      "echod stopped",
    ]);
  });
});
