/**
 * --keepalive and --nagle, seen from outside with `ss`. Keepalive: the
 * server's socket carries a keepalive timer of the given idle time (no such
 * timer without the flag). Nagle: with --framing line and --whoami-line,
 * a chunk of 400 short lines, every other one the whoami line, makes 400
 * small writes in one turn; with TCP_NODELAY (the default) many become
 * segments of their own, with --nagle they wait for the client's ACK and
 * leave together. The client (python3, TCP_NODELAY) sends 20 such chunks,
 * one after the other's echo, and `ss -ti` counts echod's data segments.
 */
import { describe, expect, test } from "bun:test";
import { certDirForFile, tlsListenerArgs } from "../helpers/certs.ts";
import { connect } from "../helpers/net-client.ts";
import { LOOPBACK, spawnKilledAfterEach, tlsPortOf } from "../helpers/spawn-echod.ts";

const spawn = spawnKilledAfterEach();
const certs = certDirForFile((c) => c.issue("live", "localhost", 2, "server"));

/** `ss` lines of the established sockets whose local port is `port` (echod's side). */
function ss(port: number, flags: string): string {
  const out = Bun.spawnSync(["ss", flags, "-H", "state", "established", `( sport = :${port} )`]);
  return out.stdout.toString();
}

describe("--keepalive", () => {
  // 100 s, because ss (iproute2 6.1) shows it unambiguously as `1min39sec`; below a minute it prints `6.792ms` for 6.792 s.
  test("--keepalive 100 puts a keepalive timer of about 100 s on echod's side of a connection; without it there is none", async () => {
    for (const keepalive of ["100", "0"]) {
      const echod = await spawn([...LOOPBACK, "--keepalive", keepalive]);
      const client = await connect(echod.port);
      await Bun.sleep(200);
      const line = ss(echod.port, "-tno");
      client.destroy();
      console.log(`--keepalive ${keepalive}: ${line.trim()}`);
      const timer = /timer:\(keepalive,(\d+)min(?:(\d+)sec)?/.exec(line);
      if (keepalive === "100") {
        expect(timer).not.toBeNull();
        const seconds = Number(timer?.[1]) * 60 + Number(timer?.[2] ?? 0);
        expect(seconds).toBeGreaterThan(95);
        expect(seconds).toBeLessThanOrEqual(100);
      } else {
        expect(line).toContain(`127.0.0.1:${echod.port}`);
        expect(timer).toBeNull();
      }
    }
  });
});

describe("--keepalive on TLS", () => {
  test("a TLS connection gets the same keepalive timer", async () => {
    const echod = await spawn([...LOOPBACK, ...tlsListenerArgs(certs), "--keepalive", "100"]);
    const port = tlsPortOf(echod);
    const client = await Bun.connect({
      hostname: "127.0.0.1",
      port,
      tls: { rejectUnauthorized: false },
      socket: { data() {} },
    });
    await Bun.sleep(300);
    const line = ss(port, "-tno");
    client.terminate();
    console.log(`--keepalive 100 on TLS: ${line.trim()}`);
    const timer = /timer:\(keepalive,(\d+)min(?:(\d+)sec)?/.exec(line);
    expect(timer).not.toBeNull();
    expect(Number(timer?.[1]) * 60 + Number(timer?.[2] ?? 0)).toBeGreaterThan(95);
  });
});

const CLIENT = `
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
want = b"B\\n"
got = b""
while len(got) < len(want): got += s.recv(16)
chunk = b"x\\nW\\n" * 200
started = time.monotonic()
for _ in range(20):
    s.sendall(chunk)
    n = 0
    while n < len(chunk): n += len(s.recv(65536))
print("done %d" % round((time.monotonic() - started) * 1000), flush=True)
sys.stdin.readline()
`;

async function dataSegments(nagle: boolean): Promise<{ segments: number; ms: number }> {
  const echod = await spawn([
    ...LOOPBACK,
    "--framing",
    "line",
    "--banner",
    "B\\n",
    "--whoami-line",
    "W",
    ...(nagle ? ["--nagle"] : []),
  ]);
  const client = Bun.spawn(["python3", "-c", CLIENT, String(echod.port)], {
    stdin: "pipe",
    stdout: "pipe",
    timeout: 30_000,
  });
  const reader = client.stdout.getReader();
  let done = "";
  while (!done.includes("\n")) {
    const { value, done: ended } = await reader.read();
    if (ended) break;
    done += new TextDecoder().decode(value);
  }
  const ms = Number(/^done (\d+)\n$/.exec(done)?.[1]);
  expect(Number.isFinite(ms)).toBe(true);
  const line = ss(echod.port, "-tin");
  client.stdin.end();
  await client.exited;
  const segments = Number(/data_segs_out:(\d+)/.exec(line)?.[1]);
  expect(Number.isFinite(segments)).toBe(true);
  return { segments, ms };
}

describe("--nagle", () => {
  test("400 small writes per turn, 20 times: with --nagle they leave in a fraction of the segments", async () => {
    const noDelay = await dataSegments(false);
    const nagle = await dataSegments(true);
    console.log(
      `8000 small writes in 20 rounds: ${noDelay.segments} data segments in ${noDelay.ms} ms with TCP_NODELAY (default), ${nagle.segments} in ${nagle.ms} ms with --nagle`,
    );
    expect(nagle.segments).toBeLessThan(noDelay.segments / 5);
    // Nagle's rule: at most one small segment in flight, so about one or two per round.
    expect(nagle.segments).toBeLessThan(20 * 12);
  }, 60_000);
});
