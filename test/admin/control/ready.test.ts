/**
 * POST /control/ready: /readyz (asked by a real curl) and echod_ready follow
 * the switch, while echo goes on serving.
 */
import { expect, test } from "bun:test";
import { api } from "../../helpers/control.ts";
import { ncExchange } from "../../helpers/net-client.ts";
import { parseSamples, sample, scrape } from "../../helpers/prom-text.ts";
import { echodForFile, LOOPBACK_WITH_ADMIN } from "../../helpers/spawn-echod.ts";

const echod = echodForFile([...LOOPBACK_WITH_ADMIN, "--control"]);

/** The status code curl gets from /readyz. */
async function curlReadyz(admin: number): Promise<string> {
  const proc = Bun.spawn(
    ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", `http://127.0.0.1:${admin}/readyz`],
    { stdout: "pipe", timeout: 5000 },
  );
  const code = await new Response(proc.stdout).text();
  await proc.exited;
  return code;
}

async function readyGauge(admin: number): Promise<number> {
  return sample(parseSamples(await (await scrape(admin)).text()), "echod_ready");
}

test("not ready: /readyz is 503 and echod_ready 0 while echo still serves; then ready again", async () => {
  const admin = echod.admin;
  expect(await curlReadyz(admin)).toBe("200");
  const off = await api(admin, "POST", "/control/ready", { ready: false });
  expect(off).toEqual({ status: 200, body: { ready: false } });
  expect(await curlReadyz(admin)).toBe("503");
  expect(await readyGauge(admin)).toBe(0);
  expect(await ncExchange(echod.echod.port, "still here\n")).toBe("still here\n");
  expect((await api(admin, "GET", "/control/ready")).body).toEqual({ ready: false });
  const on = await api(admin, "POST", "/control/ready", { ready: true });
  expect(on.body).toEqual({ ready: true });
  expect(await curlReadyz(admin)).toBe("200");
  expect(await readyGauge(admin)).toBe(1);
  const samples = parseSamples(await (await scrape(admin)).text());
  expect(sample(samples, 'echod_control_changes_total{action="ready"}')).toBe(2);
  const logged = echod.echod.lines.filter((l) => l.what === "ready");
  expect(logged.map((l) => [l.before, l.after])).toEqual([
    [true, false],
    [false, true],
  ]);
});

test("a body other than {ready: boolean} gets a 400 and changes nothing", async () => {
  for (const body of [{ ready: "no" }, {}, { ready: false, extra: 1 }, "false"]) {
    const answer = await api(echod.admin, "POST", "/control/ready", body);
    expect(answer.status).toBe(400);
  }
  expect(await curlReadyz(echod.admin)).toBe("200");
});
