/**
 * `--faults FILE` in JSON or YAML: read over each listener's flags at start
 * (a bad file exits 2 naming the key), re-read on SIGHUP (a good file
 * applies, a bad one is logged and changes nothing).
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULTS } from "../../src/config.ts";
import { faultsOf, NO_FAULTS } from "../../src/options/fault-settings.ts";
import { readFaultsFile } from "../../src/runtime/faults-file.ts";
import { api, CLEAN } from "../helpers/control.ts";
import { echoOnce } from "../helpers/net-client.ts";
import {
  LOOPBACK,
  LOOPBACK_WITH_ADMIN,
  runEchod,
  spawnKilledAfterEach,
} from "../helpers/spawn-echod.ts";

const spawnEchod = spawnKilledAfterEach();
const dir = mkdtempSync(join(tmpdir(), "echod-faults-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const BASE = { tcp: faultsOf(DEFAULTS), slow: { ...NO_FAULTS, slice: 10 } };

describe("readFaultsFile", () => {
  test("JSON and YAML of the GET /faults shape, each key over the listener's flags", () => {
    const json = file("a.json", '{"listeners": {"tcp": {"delay": "20:5", "bandwidth": "1KiB"}}}');
    expect(readFaultsFile(json, BASE)).toEqual({
      faults: { tcp: { ...NO_FAULTS, delay: { ms: 20, jitterMs: 5 }, bandwidth: 1024 } },
      scope: "new",
    });
    const yaml = file("a.yaml", "scope: all\nlisteners:\n  slow:\n    close-after: 1KiB\n");
    expect(readFaultsFile(yaml, BASE)).toEqual({
      faults: { slow: { ...NO_FAULTS, slice: 10, closeAfter: 1024 } },
      scope: "all",
    });
  });

  // biome-ignore format: a table, one bad file a row
  const BAD: [string, string, string][] = [
    ["a bad value", '{"listeners": {"tcp": {"delay": "later"}}}', 'invalid --faults PATH: listeners.tcp.delay "later": must be milliseconds'],
    ["an unknown fault", "listeners:\n  tcp:\n    latency: 5\n", 'invalid --faults PATH: listeners.tcp.latency "5": is not a fault'],
    ["an unknown listener", '{"listeners": {"udp": {}}}', 'invalid --faults PATH: listeners "udp": is not a stream listener (tcp, slow)'],
    ["a listener named after a built-in", '{"listeners": {"constructor": {}}}', 'invalid --faults PATH: listeners "constructor": is not a stream listener'],
    ["both cuts", '{"listeners": {"slow": {"close-after": 5, "reset-after": 5}}}', 'invalid --faults PATH: listeners.slow.reset-after "5": cannot be combined with --faults PATH: listeners.slow.close-after 5'],
    ["a bad scope", '{"scope": "some"}', 'invalid --faults PATH: scope "some": must be new or all'],
    ["an unknown top key", '{"tcp": {}}', 'invalid --faults PATH: tcp "{}": is not listeners or scope'],
    ["a list", "[1, 2]", 'invalid --faults PATH: "1,2": must hold an object with listeners'],
    ["not YAML", "listeners: [", "--faults file PATH is neither JSON nor YAML"],
  ];
  for (const [what, text, message] of BAD) {
    test(`${what} is an error naming the key`, () => {
      const path = file("bad.yaml", text);
      expect(() => readFaultsFile(path, BASE)).toThrow(message.replaceAll("PATH", path));
    });
  }

  test("a missing file names the file and the errno", () => {
    expect(() => readFaultsFile(join(dir, "none.json"), BASE)).toThrow(
      `cannot read --faults file ${join(dir, "none.json")}: ENOENT`,
    );
  });
});

describe("echod --faults", () => {
  test("a good file applies at start, over the flags, without --control too", async () => {
    const path = file("start.json", '{"listeners": {"tcp": {"delay": 200}}}');
    const echod = await spawnEchod([...LOOPBACK, "--faults", path, "--slice", "1KiB"]);
    const started = performance.now();
    const { received } = await echoOnce(echod.port, Buffer.from("hello"));
    expect(received.toString()).toBe("hello");
    expect(performance.now() - started).toBeGreaterThanOrEqual(200);
  });

  test("without --control, a listener started with no fault gains one at SIGHUP", async () => {
    const path = file("later.json", '{"listeners": {}}');
    const echod = await spawnEchod([...LOOPBACK, "--faults", path]);
    const fast = performance.now();
    await echoOnce(echod.port, Buffer.from("x"));
    expect(performance.now() - fast).toBeLessThan(200);
    writeFileSync(path, '{"listeners": {"tcp": {"delay": 200}}}');
    echod.kill("SIGHUP");
    await echod.waitForLine((l) => l.msg === "faults reloaded");
    const slow = performance.now();
    const { received } = await echoOnce(echod.port, Buffer.from("y"));
    expect(received.toString()).toBe("y");
    expect(performance.now() - slow).toBeGreaterThanOrEqual(200);
  });

  test("a bad file at start exits 2 with one line naming the key", async () => {
    const path = file("start-bad.yaml", "listeners:\n  tcp:\n    bandwidth: lots\n");
    const { code, stderr } = await runEchod([...LOOPBACK, "--faults", path]);
    expect(code).toBe(2);
    expect(stderr.trim()).toBe(
      `echod: invalid --faults ${path}: listeners.tcp.bandwidth "lots": must be a size such as 65536, 64KiB or 1MiB`,
    );
  });

  test("SIGHUP applies a good file, and logs a bad one changing nothing", async () => {
    const path = file("hup.yaml", "listeners:\n  tcp:\n    delay: 10\n");
    const echod = await spawnEchod([
      ...LOOPBACK_WITH_ADMIN,
      "--control",
      "--faults",
      path,
      "--profile",
      "slow:0:slice=10",
    ]);
    const admin = echod.metricsPort as number;
    expect((await api(admin, "GET", "/faults")).body.listeners).toEqual({
      tcp: { ...CLEAN, delay: 10 },
      slow: { ...CLEAN, slice: 10 },
    });
    writeFileSync(path, "scope: all\nlisteners:\n  slow:\n    delay: 30\n");
    echod.kill("SIGHUP");
    const reloaded = await echod.waitForLine((l) => l.msg === "faults reloaded");
    expect(reloaded.scope).toBe("all");
    expect(reloaded.before).toEqual({
      tcp: { ...CLEAN, delay: 10 },
      slow: { ...CLEAN, slice: 10 },
    });
    expect(reloaded.after).toEqual({ tcp: CLEAN, slow: { ...CLEAN, slice: 10, delay: 30 } });
    // tcp is no longer in the file: back to its flags; slow keeps its profile's slice.
    expect((await api(admin, "GET", "/faults")).body.listeners).toEqual({
      tcp: CLEAN,
      slow: { ...CLEAN, slice: 10, delay: 30 },
    });
    writeFileSync(path, "listeners:\n  slow:\n    delay: -5\n");
    echod.kill("SIGHUP");
    const failed = await echod.waitForLine(
      (l) => l.msg === "faults reload failed; keeping the faults in force",
    );
    expect(failed.err).toBe(
      `invalid --faults ${path}: listeners.slow.delay "-5": must be milliseconds, optionally with jitter: 200 or 200:50`,
    );
    expect((await api(admin, "GET", "/faults")).body.listeners).toEqual({
      tcp: CLEAN,
      slow: { ...CLEAN, slice: 10, delay: 30 },
    });
  });
});
