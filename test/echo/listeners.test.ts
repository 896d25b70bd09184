/**
 * The other listeners through the real CLI and real clients: IPv6 and
 * dual-stack with `nc`, the Unix socket with `socat` (mode, stale and live
 * socket files), UDP with `socat` (echo, size limit, per-source rate limit),
 * and all of them at once in one process with one clean shutdown.
 */
import { afterAll, describe, expect, test } from "bun:test";
import dgram from "node:dgram";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resolveConfig } from "../../src/config.ts";
import { startUdpEcho, type UdpEchoServer } from "../../src/echo/udp.ts";
import { type Echod, LOOPBACK, runEchod, spawnKilledAfterEach } from "../helpers/spawn-echod.ts";

const spawnEchod = spawnKilledAfterEach();

const dir = mkdtempSync(join(tmpdir(), "echod-listeners-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs a shell pipeline (bounded by `timeout`) and returns its stdout. */
function sh(script: string, timeoutMs = 10_000): string {
  const result = Bun.spawnSync(["bash", "-c", script], {
    stdout: "pipe",
    stderr: "pipe",
    timeout: timeoutMs,
  });
  return result.stdout.toString();
}

/** The same, without blocking this process (for when the server runs in it). */
async function shAsync(script: string, timeoutMs = 10_000): Promise<string> {
  const proc = Bun.spawn(["bash", "-c", script], {
    stdout: "pipe",
    stderr: "pipe",
    timeout: timeoutMs,
  });
  const out = await new Response(proc.stdout).text();
  await proc.exited;
  return out;
}

function listenerOf(echod: Echod, kind: string): string {
  const started = echod.lines.find((l) => l.msg === "echod listening") as {
    listeners: Record<string, string>;
  };
  return started.listeners[kind] ?? "";
}

async function stop(echod: Echod): Promise<void> {
  echod.kill();
  expect(await echod.exited).toBe(0);
}

describe("IPv6", () => {
  test("--host ::1 echoes to nc -6", async () => {
    const echod = await spawnEchod(["0", "--host", "::1", "--no-metrics"]);
    expect(listenerOf(echod, "tcp")).toBe(`[::1]:${echod.port}`);
    expect(sh(`printf 'over ipv6\\n' | nc -6 -N ::1 ${echod.port}`)).toBe("over ipv6\n");
    await stop(echod);
  });

  test("--host :: is dual-stack: 127.0.0.1 and ::1 both get their echo", async () => {
    const echod = await spawnEchod(["0", "--host", "::", "--no-metrics"]);
    expect(sh(`printf 'v4\\n' | nc -4 -N 127.0.0.1 ${echod.port}`)).toBe("v4\n");
    expect(sh(`printf 'v6\\n' | nc -6 -N ::1 ${echod.port}`)).toBe("v6\n");
    await stop(echod);
  });
});

describe("Unix domain socket", () => {
  test("--unix echoes to socat, with mode 0660 by default and --unix-mode otherwise", async () => {
    const path = join(dir, "echo.sock");
    const echod = await spawnEchod([...LOOPBACK, "--unix", path]);
    expect(listenerOf(echod, "unix")).toBe(path);
    expect(statSync(path).mode & 0o777).toBe(0o660);
    expect(sh(`printf 'over unix\\n' | socat -t 2 - UNIX-CONNECT:${path}`)).toBe("over unix\n");
    await stop(echod);

    const strict = await spawnEchod([...LOOPBACK, "--unix", path, "--unix-mode", "0600"]);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    await stop(strict);
  });

  test("a stale socket file from a killed process is replaced", async () => {
    const path = join(dir, "stale.sock");
    // A server killed with SIGKILL leaves its socket file behind.
    const crashed = Bun.spawn(["socat", `UNIX-LISTEN:${path}`, "-"], {
      stdin: "pipe",
      stdout: "ignore",
    });
    for (let i = 0; i < 100 && !(await Bun.file(path).exists()); i++) await Bun.sleep(20);
    crashed.kill("SIGKILL");
    await crashed.exited;
    expect(statSync(path).isSocket()).toBe(true);

    const echod = await spawnEchod([...LOOPBACK, "--unix", path]);
    expect(sh(`printf 'fresh\\n' | socat -t 2 - UNIX-CONNECT:${path}`)).toBe("fresh\n");
    await stop(echod);
  });

  test("a live socket is not taken over, and a path that is not a socket is refused", async () => {
    const path = join(dir, "live.sock");
    const other = net
      .createServer((s) => {
        s.on("error", () => {}); // echod's probe hangs up at once
        s.end("the other server\n");
      })
      .listen(path);
    await new Promise((r) => other.once("listening", r));
    const { code, stderr } = await runEchod([...LOOPBACK, "--unix", path]);
    expect(code).toBe(1);
    expect(stderr.trim()).toBe(
      `echod: cannot listen on ${path}: another server is listening on it`,
    );
    expect(await shAsync(`socat -t 1 - UNIX-CONNECT:${path} </dev/null`)).toBe(
      "the other server\n",
    );
    await new Promise((r) => other.close(r));

    const file = join(dir, "plain-file");
    writeFileSync(file, "data");
    const refused = await runEchod([...LOOPBACK, "--unix", file]);
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim()).toBe(
      `echod: cannot listen on ${file}: the path exists and is not a socket`,
    );
  });
});

describe("UDP", () => {
  test("--udp-port echoes a datagram to socat; UDP is off by default", async () => {
    const plain = await spawnEchod([...LOOPBACK]);
    expect(listenerOf(plain, "udp")).toBe("");
    await stop(plain);

    const echod = await spawnEchod([...LOOPBACK, "--udp-port", "0"]);
    const port = Number(listenerOf(echod, "udp").split(":").pop());
    expect(sh(`printf 'datagram' | socat -t 1 - UDP:127.0.0.1:${port}`)).toBe("datagram");
    await stop(echod);
  });

  /** Sends `datagrams` from one socket and collects replies for `waitMs`. */
  async function exchange(port: number, datagrams: Uint8Array[], waitMs = 300) {
    const socket = dgram.createSocket("udp4");
    const replies: Buffer[] = [];
    socket.on("message", (m) => replies.push(m));
    await new Promise<void>((r) => socket.bind(0, "127.0.0.1", () => r()));
    for (const d of datagrams) {
      await new Promise<void>((r, j) => socket.send(d, port, "127.0.0.1", (e) => (e ? j(e) : r())));
    }
    await Bun.sleep(waitMs);
    socket.close();
    return replies;
  }

  const servers: UdpEchoServer[] = [];
  afterAll(() => {
    for (const s of servers) s.stop();
  });
  const startUdp = async (options: Parameters<typeof resolveConfig>[0]) => {
    const server = await startUdpEcho(resolveConfig({ host: "127.0.0.1", ...options }), 0);
    servers.push(server);
    return server;
  };

  test("datagrams over --udp-max-size are dropped and counted; the largest IPv4 payload comes back whole", async () => {
    const small = await startUdp({ udpMaxSize: 100 });
    const replies = await exchange(small.port, [new Uint8Array(100).fill(1), new Uint8Array(101)]);
    expect(replies.map((r) => r.length)).toEqual([100]);
    expect(small.stats.dropped.too_large).toBe(1);
    expect(small.stats.datagramsIn).toBe(2);
    expect(small.stats.datagramsOut).toBe(1);

    const large = await startUdp({});
    const big = crypto.getRandomValues(new Uint8Array(65_507));
    const [reply] = await exchange(large.port, [big]);
    expect(reply?.length).toBe(65_507);
    expect(Buffer.compare(reply as Buffer, Buffer.from(big))).toBe(0);
  });

  test("the per-source rate limit is on by default and caps a burst; --udp-rate-limit 0 lifts it", async () => {
    const limited = await startUdp({ udpRateLimit: 20 });
    const burst = Array.from({ length: 100 }, (_, i) => Buffer.from(`n${i}`));
    const replies = await exchange(limited.port, burst);
    // A burst of one second's worth (20), plus what refills while the burst is sent.
    expect(replies.length).toBeGreaterThanOrEqual(20);
    expect(replies.length).toBeLessThan(40);
    expect(limited.stats.dropped.rate_limited).toBe(100 - replies.length);
    expect(resolveConfig({}).udpRateLimit).toBeGreaterThan(0);

    const open = await startUdp({ udpRateLimit: 0 });
    expect((await exchange(open.port, burst)).length).toBe(100);
    expect(open.stats.datagramsOut).toBe(100);
  });
});

describe("every listener at once", () => {
  test("TCP, Unix and UDP in one process echo, and SIGTERM stops them all with exit 0", async () => {
    const path = join(dir, "all.sock");
    const echod = await spawnEchod([...LOOPBACK, "--unix", path, "--udp-port", "0"]);
    const udpPort = Number(listenerOf(echod, "udp").split(":").pop());
    expect(sh(`printf 'tcp\\n' | nc -N 127.0.0.1 ${echod.port}`)).toBe("tcp\n");
    expect(sh(`printf 'unix\\n' | socat -t 2 - UNIX-CONNECT:${path}`)).toBe("unix\n");
    expect(sh(`printf 'udp' | socat -t 1 - UDP:127.0.0.1:${udpPort}`)).toBe("udp");
    await stop(echod);
    // Bun removes the socket file when the listener stops.
    expect(await Bun.file(path).exists()).toBe(false);
  });
});
