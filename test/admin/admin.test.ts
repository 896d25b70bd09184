/**
 * The admin sidecar of a live echod (spawned as a process): counters that
 * match the traffic, the exposition formats, promtool's verdict, health
 * endpoints through a shutdown, and bad requests that must not hurt it.
 */
import { describe, expect, test } from "bun:test";
import { echoOnce, ncExchange, randomPayload } from "../helpers/net-client.ts";
import { parseSamples, promtoolCheckMetrics, sample, scrape } from "../helpers/prom-text.ts";
import {
  type Echod,
  LOOPBACK,
  LOOPBACK_WITH_ADMIN,
  runEchod,
  spawnKilledAfterEach,
} from "../helpers/spawn-echod.ts";

const spawnEchod = spawnKilledAfterEach();

async function start(args: string[] = []): Promise<Echod & { admin: number }> {
  const echod = await spawnEchod([...LOOPBACK_WITH_ADMIN, ...args]);
  if (echod.metricsPort === null) throw new Error("no admin address in the startup line");
  return Object.assign(echod, { admin: echod.metricsPort });
}

/** Runs echod on loopback with its admin server asked for at `host`:`port` (for startup errors). */
function runWithAdminAt(host: string, port: string): ReturnType<typeof runEchod> {
  return runEchod(["0", "--host", "127.0.0.1", "--metrics-host", host, "--metrics-port", port]);
}

async function samples(port: number): Promise<Map<string, number>> {
  return parseSamples(await (await scrape(port)).text());
}

describe("/metrics", () => {
  test("counters equal the bytes and connections 25 clients sent, and the active gauge returns to 0", async () => {
    const echod = await start();
    const payloads = Array.from({ length: 25 }, (_, i) => randomPayload(1000 + i * 4099));
    const total = payloads.reduce((n, p) => n + p.length, 0);
    const results = await Promise.all(payloads.map((p) => echoOnce(echod.port, p)));
    expect(results.reduce((n, r) => n + r.received.length, 0)).toBe(total);

    // The clients saw the FIN; give the server's close handlers a moment to count it.
    await Bun.sleep(50);
    const s = await samples(echod.admin);
    expect(sample(s, 'echod_received_bytes_total{listener="tcp"}')).toBe(total);
    expect(sample(s, 'echod_sent_bytes_total{listener="tcp"}')).toBe(total);
    expect(sample(s, 'echod_connections_accepted_total{listener="tcp"}')).toBe(25);
    expect(sample(s, 'echod_connections_closed_total{listener="tcp",reason="peer_closed"}')).toBe(
      25,
    );
    expect(sample(s, 'echod_connections_active{listener="tcp"}')).toBe(0);
    expect(sample(s, 'echod_buffered_bytes{listener="tcp"}')).toBe(0);
    expect(sample(s, "echod_connection_duration_seconds_count")).toBe(25);
    expect(sample(s, 'echod_connection_duration_seconds_bucket{le="+Inf"}')).toBe(25);
    expect(sample(s, "echod_max_connections")).toBe(10000);
    expect(sample(s, "echod_ready")).toBe(1);
    expect(sample(s, `echod_build_info{version="0.1.0",bun_version="${Bun.version}"}`)).toBe(1);
    expect(sample(s, "process_resident_memory_bytes")).toBeGreaterThan(1e6);
    expect(sample(s, "process_open_fds")).toBeGreaterThan(0);
    expect(sample(s, "process_cpu_seconds_total")).toBeGreaterThan(0);
    // Trimmed: nothing from the empty or slow default groups.
    expect([...s.keys()].some((k) => k.startsWith("nodejs_"))).toBe(false);
  });

  test("an open connection shows in the active gauge and a rejected one by reason", async () => {
    const echod = await start(["--max-connections", "1"]);
    const held = await Bun.connect({
      hostname: "127.0.0.1",
      port: echod.port,
      socket: { data() {} },
    });
    await Bun.sleep(100);
    let s = await samples(echod.admin);
    expect(sample(s, 'echod_connections_active{listener="tcp"}')).toBe(1);
    const extra = await Bun.connect({
      hostname: "127.0.0.1",
      port: echod.port,
      socket: { data() {} },
    });
    await Bun.sleep(100);
    s = await samples(echod.admin);
    expect(
      sample(s, 'echod_connections_rejected_total{listener="tcp",reason="max_connections"}'),
    ).toBe(1);
    expect(sample(s, 'echod_connections_active{listener="tcp"}')).toBe(1);
    held.end();
    extra.end();
  });

  test("serves Prometheus text by default and OpenMetrics when asked in Accept", async () => {
    const echod = await start();
    const text = await scrape(echod.admin);
    expect(text.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    expect(await text.text()).toContain("# TYPE echod_sent_bytes_total counter");
    const om = await scrape(
      echod.admin,
      "application/openmetrics-text; version=1.0.0,text/plain;q=0.5",
    );
    expect(om.headers.get("content-type")).toBe(
      "application/openmetrics-text; version=1.0.0; charset=utf-8",
    );
    const body = await om.text();
    expect(body).toContain("# TYPE echod_sent_bytes counter");
    expect(body).toContain('echod_sent_bytes_total{listener="tcp"} 0');
    expect(body.endsWith("# EOF\n")).toBe(true);
    // Asking for OpenMetrics must not rename the counters of the plain format.
    expect(await (await scrape(echod.admin)).text()).toContain(
      "# TYPE echod_sent_bytes_total counter",
    );
  });

  test("promtool check metrics passes on a live scrape after traffic", async () => {
    const echod = await start();
    await echoOnce(echod.port, randomPayload(10_000));
    const body = await (await scrape(echod.admin)).text();
    const { code, output } = await promtoolCheckMetrics(body);
    expect(output).toBe("");
    expect(code).toBe(0);
  });
});

describe("health", () => {
  test("/readyz turns 503 on SIGTERM during --shutdown-delay while /livez and echo keep serving", async () => {
    const echod = await start(["--shutdown-delay", "1.5"]);
    const url = (path: string) => `http://127.0.0.1:${echod.admin}${path}`;
    expect((await fetch(url("/readyz"))).status).toBe(200);
    echod.kill("SIGTERM");
    await echod.waitForLine((l) => l.msg === "shutting down");
    const readyz = await fetch(url("/readyz"));
    expect(readyz.status).toBe(503);
    expect((await fetch(url("/livez"))).status).toBe(200);
    expect(sample(await samples(echod.admin), "echod_ready")).toBe(0);
    // Still echoing: the listener closes only after the delay.
    const { received } = await echoOnce(echod.port, Buffer.from("during the delay"));
    expect(received.toString()).toBe("during the delay");
    expect(await echod.exited).toBe(0);
    const stopped = echod.lines.find((l) => l.msg === "echod stopped");
    const shutting = echod.lines.find((l) => l.msg === "shutting down");
    const waited = Date.parse(String(stopped?.time)) - Date.parse(String(shutting?.time));
    expect(waited).toBeGreaterThanOrEqual(1400);
  });

  test("echod healthcheck exits 0 while echod is live and 1 once it has stopped", async () => {
    const echod = await start();
    const env = { ECHOD_METRICS_PORT: String(echod.admin), ECHOD_METRICS_HOST: "127.0.0.1" };
    expect((await runEchod(["healthcheck"], env)).code).toBe(0);
    echod.kill("SIGTERM");
    expect(await echod.exited).toBe(0);
    const after = await runEchod(["healthcheck"], env);
    expect(after.code).toBe(1);
    expect(after.stderr).toMatch(/^echod healthcheck: http:\/\/127\.0\.0\.1:\d+\/livez: /);
  });

  test("--no-metrics starts no admin server", async () => {
    const echod = await start(["--no-metrics"]).catch((e: Error) => e);
    expect(echod).toBeInstanceOf(Error); // start() insists on an admin address
    const plain = await spawnEchod([...LOOPBACK]);
    expect(plain.metricsPort).toBeNull();
  });
});

describe("bad requests", () => {
  test("unknown paths get 404, wrong methods 405, garbage 400, and echod keeps serving", async () => {
    const echod = await start();
    const base = `http://127.0.0.1:${echod.admin}`;
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    const post = await fetch(`${base}/metrics`, { method: "POST", body: "x" });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD, OPTIONS");
    expect((await fetch(`${base}/livez`, { method: "DELETE" })).status).toBe(405);

    // 4xx for malformed and oversized requests; 505 is HTTP's answer to an unknown version.
    const cases: [request: string, statusLine: string][] = [
      ["GARBAGE\r\n\r\n", "HTTP/1.1 400 Bad Request"],
      ["GET / HTTP/9.9\r\n\r\n", "HTTP/1.1 505 HTTP Version Not Supported"],
      [
        `GET /${"a".repeat(70_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
        "HTTP/1.1 431 Request Header Fields Too Large",
      ],
      ["\x00\x01\x02\xff\r\n\r\n", "HTTP/1.1 400 Bad Request"],
    ];
    for (const [garbage, statusLine] of cases) {
      const reply = await ncExchange(echod.admin, garbage);
      expect(reply.split("\r\n")[0]).toBe(statusLine);
    }
    expect((await fetch(`${base}/livez`)).status).toBe(200);
    const { received } = await echoOnce(echod.port, Buffer.from("still echoing"));
    expect(received.toString()).toBe("still echoing");
    expect(echod.proc.exitCode).toBeNull();
  });

  test("an admin port already in use exits 1 naming host and port", async () => {
    const blocker = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("") });
    const port = blocker.port;
    const { code, stderr } = await runWithAdminAt("127.0.0.1", String(port));
    blocker.stop(true);
    expect(code).toBe(1);
    expect(stderr.trim()).toBe(
      `echod: cannot listen on 127.0.0.1:${port} (admin): address already in use`,
    );
  });

  test("a --metrics-host that does not resolve exits 2 saying so, not 'address already in use'", async () => {
    const { code, stdout, stderr } = await runWithAdminAt("nope.invalid", "9090");
    console.log(`--metrics-host nope.invalid: exit ${code}, stderr ${JSON.stringify(stderr)}`);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toBe(
      "echod: cannot listen on nope.invalid:9090 (admin): host not found (ENOTFOUND)\n",
    );
  });

  test("a --metrics-host address that is not this machine's exits 2 saying so", async () => {
    // 198.51.100.0/24 is TEST-NET-2, for documentation: no interface here has it.
    const { code, stderr } = await runEchod([
      "0",
      "--host",
      "127.0.0.1",
      "--metrics-host",
      "198.51.100.77",
      "--metrics-port",
      "9090",
    ]);
    console.log(`--metrics-host 198.51.100.77: exit ${code}, stderr ${JSON.stringify(stderr)}`);
    expect(code).toBe(2);
    expect(stderr).toBe(
      "echod: cannot listen on 198.51.100.77:9090 (admin): address not available on this machine\n",
    );
  });
});
