/**
 * /metrics of an echod with every listener, framing and a fault on: each
 * listener's traffic shows under its own `listener` label, messages, faults
 * and UDP datagrams are counted, and promtool accepts the scrape.
 */
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseSamples, promtoolCheckMetrics, sample, scrape } from "../helpers/prom-text.ts";
import { LOOPBACK_WITH_ADMIN, spawnEchod } from "../helpers/spawn-echod.ts";

const dir = mkdtempSync(join(tmpdir(), "echod-metrics-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(script: string): Promise<string> {
  const proc = Bun.spawn(["bash", "-c", script], { stdout: "pipe", timeout: 10_000 });
  const out = await new Response(proc.stdout).text();
  await proc.exited;
  return out;
}

test("per-listener counters, messages, faults and UDP datagrams reach /metrics, and promtool accepts it", async () => {
  const path = join(dir, "m.sock");
  const echod = await spawnEchod([
    ...LOOPBACK_WITH_ADMIN,
    "--unix",
    path,
    "--udp-port",
    "0",
    "--framing",
    "line",
    "--delay",
    "10",
  ]);
  try {
    const started = echod.lines.find((l) => l.msg === "echod listening") as {
      listeners: Record<string, string>;
    };
    const udpPort = Number(started.listeners.udp?.split(":").pop());
    expect(await run(`printf 'a\\nb\\nc\\n' | nc -N 127.0.0.1 ${echod.port}`)).toBe("a\nb\nc\n");
    expect(await run(`printf 'unix\\n' | socat -t 2 - UNIX-CONNECT:${path}`)).toBe("unix\n");
    expect(await run(`printf 'datagram' | socat -t 1 - UDP:127.0.0.1:${udpPort}`)).toBe("datagram");

    const admin = echod.metricsPort as number;
    // The clients saw the FIN; poll until the server's close handlers have counted it.
    let s = new Map<string, number>();
    let settled = false;
    for (let i = 0; i < 50 && !settled; i++) {
      s = parseSamples(await (await scrape(admin)).text());
      settled = s.get('echod_connections_closed_total{listener="unix",reason="peer_closed"}') === 1;
      if (!settled) await Bun.sleep(50);
    }
    expect(settled).toBe(true);
    expect(sample(s, 'echod_connections_accepted_total{listener="tcp"}')).toBe(1);
    expect(sample(s, 'echod_connections_accepted_total{listener="unix"}')).toBe(1);
    expect(sample(s, 'echod_received_bytes_total{listener="tcp"}')).toBe(6);
    expect(sample(s, 'echod_sent_bytes_total{listener="unix"}')).toBe(5);
    expect(sample(s, 'echod_received_bytes_total{listener="udp"}')).toBe(8);
    expect(sample(s, 'echod_sent_bytes_total{listener="udp"}')).toBe(8);
    expect(sample(s, 'echod_messages_total{listener="tcp"}')).toBe(3);
    expect(sample(s, 'echod_messages_total{listener="unix"}')).toBe(1);
    expect(sample(s, 'echod_faults_injected_total{listener="tcp",type="delay"}')).toBe(3);
    expect(sample(s, 'echod_faults_injected_total{listener="tcp",type="reset"}')).toBe(0);
    expect(sample(s, 'echod_udp_datagrams_total{direction="in"}')).toBe(1);
    expect(sample(s, 'echod_udp_datagrams_total{direction="out"}')).toBe(1);
    expect(sample(s, 'echod_udp_datagrams_dropped_total{reason="rate_limited"}')).toBe(0);
    // Connection-level totals stay daemon-wide.
    expect(sample(s, "echod_connection_duration_seconds_count")).toBe(2);

    const body = await (await scrape(admin)).text();
    const { code, output } = await promtoolCheckMetrics(body);
    expect(output).toBe("");
    expect(code).toBe(0);
  } finally {
    echod.kill();
    await echod.exited;
  }
});
