/**
 * POST /control/listeners/{name}/down and /up: a listener taken down
 * refuses new connections (seen by nc) and accepts again on the same port
 * once up; a connection open throughout keeps echoing.
 */
import { afterAll, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { portOf } from "../../../bench/common/spawn-echod.ts";
import { certDirForFile, sClient, tlsListenerArgs } from "../../helpers/certs.ts";
import { api } from "../../helpers/control.ts";
import { connect, exactReader } from "../../helpers/net-client.ts";
import { LOOPBACK_WITH_ADMIN, spawnKilledAfterEach, tlsPortOf } from "../../helpers/spawn-echod.ts";

const spawnEchod = spawnKilledAfterEach();
const UNIX_PATH = `/tmp/echod-i17b-${process.pid}.sock`;
afterAll(() => rmSync(UNIX_PATH, { force: true }));

/** nc -z's exit code: 0 when the port accepts a connection, 1 when it is refused. */
async function ncProbe(port: number): Promise<number> {
  const proc = Bun.spawn(["nc", "-z", "-w", "2", "127.0.0.1", String(port)], { timeout: 5000 });
  return proc.exited;
}

async function roundTrip(socket: Awaited<ReturnType<typeof connect>>, text: string) {
  const reader = exactReader(socket);
  socket.write(text);
  return (await reader.read(text.length))?.toString();
}

for (const name of ["tcp", "extra"]) {
  test(`${name} down: refused, the open connection unharmed; up: accepted on the same port`, async () => {
    const echod = await spawnEchod([...LOOPBACK_WITH_ADMIN, "--control", "--profile", "extra:0"]);
    const admin = echod.metricsPort as number;
    const listeners = echod.started.listeners as Record<string, string>;
    const port = portOf(listeners[name]);
    const open = await connect(port);
    expect(await roundTrip(open, "before\n")).toBe("before\n");
    expect(await ncProbe(port)).toBe(0);

    const down = await api(admin, "POST", `/control/listeners/${name}/down`);
    expect(down).toEqual({ status: 200, body: { listener: name, accepting: false } });
    expect(await ncProbe(port)).toBe(1);
    expect((await api(admin, "GET", "/control/listeners")).body.listeners[name]).toEqual({
      accepting: false,
    });
    const stillOpen = exactReader(open);
    open.write("during\n");
    expect((await stillOpen.read(7))?.toString()).toBe("during\n");
    // /readyz follows /control/ready, not a listener taken down on purpose.
    expect((await fetch(`http://127.0.0.1:${admin}/readyz`)).status).toBe(200);

    const up = await api(admin, "POST", `/control/listeners/${name}/up`);
    expect(up.body).toEqual({ listener: name, accepting: true });
    expect(await ncProbe(port)).toBe(0);
    const fresh = await connect(port);
    expect(await roundTrip(fresh, "after\n")).toBe("after\n");
    open.write("still\n");
    expect((await stillOpen.read(6))?.toString()).toBe("still\n");
    fresh.destroy();
    open.destroy();
    const logged = echod.lines.filter((l) => l.msg === "control change").map((l) => l.what);
    expect(logged).toEqual([`listener ${name} down`, `listener ${name} up`]);
  });
}

const certs = certDirForFile((dir) => dir.selfSigned("live", "echod control"));

test("TLS down: refused; up: openssl s_client is served again on the same port", async () => {
  const echod = await spawnEchod([...LOOPBACK_WITH_ADMIN, "--control", ...tlsListenerArgs(certs)]);
  const admin = echod.metricsPort as number;
  const port = tlsPortOf(echod);
  expect((await sClient(port, "one\n")).stdout).toBe("one\n");
  expect((await api(admin, "POST", "/control/listeners/tls/down")).status).toBe(200);
  expect(await ncProbe(port)).toBe(1);
  expect((await api(admin, "POST", "/control/listeners/tls/up")).status).toBe(200);
  expect((await sClient(port, "two\n")).stdout).toBe("two\n");
});

test("an unknown listener gets a 404; a Unix socket listener cannot be taken down (409)", async () => {
  const echod = await spawnEchod([...LOOPBACK_WITH_ADMIN, "--control", "--unix", UNIX_PATH]);
  const admin = echod.metricsPort as number;
  const unknown = await api(admin, "POST", "/control/listeners/nope/down");
  expect(unknown.status).toBe(404);
  expect(unknown.body.key).toBe("listener");
  expect(unknown.body.value).toBe("nope");
  expect((await api(admin, "POST", "/control/listeners/toString/down")).status).toBe(404);
  const malformed = await api(admin, "POST", "/control/listeners/%E0%A4%A/up");
  expect(malformed.status).toBe(404);
  expect(malformed.body.value).toBe("%E0%A4%A");
  const unix = await api(admin, "POST", "/control/listeners/unix/down");
  expect(unix.status).toBe(409);
  expect(unix.body.error).toBe("a Unix socket listener cannot be taken down");
  expect((await api(admin, "GET", "/control/listeners")).body.listeners.unix).toEqual({
    accepting: true,
  });
});
