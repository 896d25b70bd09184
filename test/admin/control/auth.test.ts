/**
 * Who may use the control API: anyone on a loopback admin address without a
 * token; with --control-token (or a non-loopback --metrics-host, which needs
 * one) only a request with `Authorization: Bearer TOKEN`. Refusals are 401s,
 * counted, and logged at most once a second.
 */
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isLoopbackHost } from "../../../src/address.ts";
import { resolveToken } from "../../../src/admin/control/auth.ts";
import { resolveConfig } from "../../../src/config.ts";
import { api } from "../../helpers/control.ts";
import { parseSamples, sample, scrape } from "../../helpers/prom-text.ts";
import { LOOPBACK_WITH_ADMIN, runEchod, spawnKilledAfterEach } from "../../helpers/spawn-echod.ts";

const spawnEchod = spawnKilledAfterEach();
const dir = mkdtempSync(join(tmpdir(), "echod-token-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("on a loopback admin address no token is needed", async () => {
  const echod = await spawnEchod([...LOOPBACK_WITH_ADMIN, "--control"]);
  expect((await api(echod.metricsPort as number, "GET", "/faults")).status).toBe(200);
});

test("--control on a non-loopback admin address without a token exits 2 naming both flags", async () => {
  const { code, stderr } = await runEchod(["0", "--metrics-port", "0", "--control"]);
  expect(code).toBe(2);
  expect(stderr.trim()).toBe(
    'echod: invalid --control "true": needs --control-token when --metrics-host 0.0.0.0 is not a loopback address',
  );
  const viaEnv = await runEchod(["0", "--metrics-port", "0"], {
    ECHOD_CONTROL: "true",
    ECHOD_METRICS_HOST: "::",
  });
  expect(viaEnv.code).toBe(2);
  expect(viaEnv.stderr).toContain("needs --control-token when ECHOD_METRICS_HOST :: is not");
});

test("a non-loopback admin address with a token is accepted", () => {
  const config = resolveConfig({ control: true, controlToken: "t", metricsHost: "0.0.0.0" });
  expect(config.control).toBe(true);
});

test("--control-token without --control, and --control without the admin server, exit 2", async () => {
  const token = await runEchod(["0", "--no-metrics", "--control-token", "s3cret"]);
  expect(token.code).toBe(2);
  expect(token.stderr.trim()).toBe(
    'echod: invalid --control-token "(hidden)": has no effect without --control',
  );
  const noAdmin = await runEchod(["0", "--no-metrics", "--control"]);
  expect(noAdmin.code).toBe(2);
  expect(noAdmin.stderr).toContain("needs the admin server (--metrics)");
});

test("with a token: a missing or wrong one gets 401, counted; the right one passes; never logged", async () => {
  const path = join(dir, "token");
  writeFileSync(path, "  correct horse battery staple\n");
  // Loopback here too: a token, once given, is required on any admin address.
  const echod = await spawnEchod([
    ...LOOPBACK_WITH_ADMIN,
    "--control",
    "--control-token",
    `@${path}`,
  ]);
  const admin = echod.metricsPort as number;
  const refusals = [
    await api(admin, "GET", "/faults"),
    await api(admin, "GET", "/faults", undefined, "correct horse battery"),
    await api(admin, "PATCH", "/faults", { faults: { delay: 5 } }, "wrong"),
    await api(admin, "POST", "/control/ready", { ready: false }, ""),
  ];
  for (const r of refusals) {
    expect(r.status).toBe(401);
    expect(r.body).toEqual({ error: "unauthorized" });
  }
  const ok = await api(admin, "GET", "/faults", undefined, "correct horse battery staple");
  expect(ok.status).toBe(200);
  // /metrics and the probes need no token.
  const samples = parseSamples(await (await scrape(admin)).text());
  expect(sample(samples, 'echod_control_refused_total{reason="unauthorized"}')).toBe(4);
  expect(sample(samples, 'echod_control_changes_total{action="faults"}')).toBe(0);
  // The first refusal is logged at once, the other three together a second later.
  const warned = await echod.waitForLine((l) => l.refused === 3, 3000);
  expect(warned.msg).toBe("control API: requests without the right token");
  const first = echod.lines.find((l) => l.refused === 1) as Record<string, unknown>;
  expect(first.path).toBe("/faults");
  expect(JSON.stringify(echod.lines)).not.toContain("battery");
});

test("the token file must exist and hold a token", () => {
  expect(() => resolveToken(`@${join(dir, "missing")}`)).toThrow(
    /cannot read --control-token file .*: ENOENT/,
  );
  writeFileSync(join(dir, "empty"), "\n");
  expect(() => resolveToken(`@${join(dir, "empty")}`)).toThrow(/is empty/);
  expect(resolveToken("plain")).toBe("plain");
});

test("loopback addresses are told apart from the others", () => {
  for (const host of [
    "127.0.0.1",
    "127.1.2.3",
    "::1",
    "0:0:0:0:0:0:0:1",
    "localhost",
    "::ffff:127.0.0.1",
  ]) {
    expect(isLoopbackHost(host)).toBe(true);
  }
  for (const host of ["0.0.0.0", "::", "", "10.0.0.1", "128.0.0.1", "::2", "example.com"]) {
    expect(isLoopbackHost(host)).toBe(false);
  }
});

test("without --control the control paths do not exist", async () => {
  const echod = await spawnEchod([...LOOPBACK_WITH_ADMIN]);
  const admin = echod.metricsPort as number;
  expect((await api(admin, "GET", "/faults")).status).toBe(404);
  expect((await api(admin, "POST", "/control/ready", { ready: false })).status).toBe(404);
  expect((await fetch(`http://127.0.0.1:${admin}/readyz`)).status).toBe(200);
  const names = (await (await fetch(`http://127.0.0.1:${admin}/metrics`)).text()).match(
    /echod_control_\w+/g,
  );
  expect(names).toBeNull();
});
