/**
 * GET, PUT and PATCH /faults against a real echod with --control: good
 * bodies change what new connections get, bad ones get a 400 naming the key
 * and the value and change nothing.
 */
import { describe, expect, test } from "bun:test";
import { api, CLEAN } from "../../helpers/control.ts";
import { echoOnce } from "../../helpers/net-client.ts";
import { parseSamples, sample, scrape } from "../../helpers/prom-text.ts";
import { echodForFile, LOOPBACK_WITH_ADMIN } from "../../helpers/spawn-echod.ts";

const echod = echodForFile([...LOOPBACK_WITH_ADMIN, "--control", "--profile", "slow:0:delay=100"]);

/** Milliseconds one 16-byte echo takes on a new connection to `port`. */
async function echoMs(port: number): Promise<number> {
  const started = performance.now();
  const { received } = await echoOnce(port, Buffer.from("0123456789abcdef"));
  expect(received.toString()).toBe("0123456789abcdef");
  return performance.now() - started;
}

describe("GET /faults", () => {
  test("shows every stream listener's faults, keyed by flag, in the flags' units", async () => {
    const { status, body } = await api(echod.admin, "GET", "/faults");
    expect(status).toBe(200);
    expect(body).toEqual({ listeners: { tcp: CLEAN, slow: { ...CLEAN, delay: 100 } } });
  });
});

describe("PATCH and PUT /faults", () => {
  test("PATCH changes only the keys given, of one listener; new connections get it", async () => {
    const before = await echoMs(echod.echod.port);
    expect(before).toBeLessThan(150);
    const patched = await api(echod.admin, "PATCH", "/faults", {
      listener: "tcp",
      faults: { delay: "200:20", slice: "1KiB" },
    });
    expect(patched.status).toBe(200);
    expect(patched.body.listeners.tcp).toEqual({ ...CLEAN, delay: "200:20", slice: 1024 });
    expect(patched.body.listeners.slow).toEqual({ ...CLEAN, delay: 100 });
    expect(patched.body.changed).toEqual(["tcp"]);
    expect(await echoMs(echod.echod.port)).toBeGreaterThanOrEqual(200);
    const again = await api(echod.admin, "PATCH", "/faults", {
      listener: "tcp",
      faults: { slice: 0 },
    });
    expect(again.body.listeners.tcp).toEqual({ ...CLEAN, delay: "200:20" });
  });

  test("PUT sets the whole set: keys left out go back to no fault", async () => {
    const put = await api(echod.admin, "PUT", "/faults", {
      listener: "tcp",
      faults: { bandwidth: "1MiB" },
    });
    expect(put.status).toBe(200);
    expect(put.body.listeners.tcp).toEqual({ ...CLEAN, bandwidth: 1024 * 1024 });
    expect(await echoMs(echod.echod.port)).toBeLessThan(150);
  });

  test("without a listener, the change goes to every stream listener", async () => {
    const put = await api(echod.admin, "PUT", "/faults", { faults: {} });
    expect(put.status).toBe(200);
    expect(put.body.listeners).toEqual({ tcp: CLEAN, slow: CLEAN });
    expect(put.body.changed).toEqual(["tcp", "slow"]);
    const patch = await api(echod.admin, "PATCH", "/faults", { faults: { "fault-rate": 0.5 } });
    expect(patch.body.listeners).toEqual({
      tcp: { ...CLEAN, "fault-rate": 0.5 },
      slow: { ...CLEAN, "fault-rate": 0.5 },
    });
  });

  // biome-ignore format: a table, one bad body a row
  const BAD: [string, string, unknown, string, unknown][] = [
    ["a bad delay", "PATCH", { faults: { delay: "soon" } }, "delay", "soon"],
    ["a negative size", "PATCH", { faults: { slice: -1 } }, "slice", -1],
    ["a rate over 1", "PUT", { faults: { "fault-rate": 2 } }, "fault-rate", 2],
    ["an object as a value", "PATCH", { faults: { delay: { ms: 5 } } }, "delay", { ms: 5 }],
    ["an unknown fault", "PATCH", { faults: { latency: 5 } }, "latency", 5],
    ["an unknown listener", "PATCH", { listener: "udp", faults: {} }, "listener", "udp"],
    ["a listener named after a built-in", "PATCH", { listener: "toString", faults: {} }, "listener", "toString"],
    ["a bad scope", "PATCH", { scope: "some", faults: {} }, "scope", "some"],
    ["no faults object", "PUT", { listener: "tcp" }, "faults", undefined],
    ["an unknown body key", "PATCH", { faults: {}, extra: 1 }, "extra", 1],
    ["close-after with reset-after", "PUT", { faults: { "close-after": 5, "reset-after": 4 } }, "reset-after", 4],
  ];
  for (const [what, method, body, key, value] of BAD) {
    test(`${what} gets a 400 naming the key and the value, and changes nothing`, async () => {
      const before = await api(echod.admin, "GET", "/faults");
      const answer = await api(echod.admin, method, "/faults", body);
      expect(answer.status).toBe(400);
      expect(answer.body.key).toBe(key);
      expect(answer.body.value).toEqual(value);
      expect(answer.body.error).toContain(key);
      expect((await api(echod.admin, "GET", "/faults")).body).toEqual(before.body);
    });
  }

  test("a body that is not a JSON object gets a 400; an oversized one a 413", async () => {
    for (const text of ["not json", "[1]", "null", ""]) {
      const answer = await api(echod.admin, "PATCH", "/faults", text);
      expect(answer.status).toBe(400);
      expect(answer.body.error).toBe("the body must be a JSON object");
    }
    const big = await api(
      echod.admin,
      "PATCH",
      "/faults",
      `{"faults":{},"x":"${"a".repeat(70_000)}"}`,
    );
    expect(big.status).toBe(413);
  });

  test("other methods get a 405 with Allow; unknown control paths a 404", async () => {
    const del = await fetch(`http://127.0.0.1:${echod.admin}/faults`, { method: "DELETE" });
    expect(del.status).toBe(405);
    expect(del.headers.get("allow")).toBe("GET, PUT, PATCH");
    expect((await api(echod.admin, "GET", "/control/nothing")).status).toBe(404);
    expect((await api(echod.admin, "GET", "/control/listeners/tcp/down")).status).toBe(405);
  });

  test("changes and refusals are counted in the metrics", async () => {
    const samples = parseSamples(await (await scrape(echod.admin)).text());
    // Five changes above: two PATCHes, the PUT of one listener, the PUT and PATCH of all.
    expect(sample(samples, 'echod_control_changes_total{action="faults"}')).toBe(5);
    // Eleven bad bodies, four that are not JSON, one too large (a 404 or 405 is not counted).
    expect(sample(samples, 'echod_control_refused_total{reason="invalid"}')).toBe(16);
    expect(sample(samples, 'echod_control_refused_total{reason="unauthorized"}')).toBe(0);
  });

  test("every change is logged with who, what, before and after", () => {
    const changes = echod.echod.lines.filter((l) => l.msg === "control change");
    expect(changes.length).toBe(5);
    const first = changes[0] as Record<string, unknown>;
    expect(first.who).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(first.what).toBe("PATCH /faults");
    expect(first.before).toEqual({ tcp: CLEAN });
    expect(first.after).toEqual({ tcp: { ...CLEAN, delay: "200:20", slice: 1024 } });
  });
});
