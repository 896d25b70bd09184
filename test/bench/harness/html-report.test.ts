/**
 * `--html FILE` end to end: a run against echod and one against the Node.js
 * baseline write a page that a real headless Chromium opens without a
 * console error, with both charts drawn (their canvases not one colour);
 * and the checker itself sees a broken page as broken.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resolveConfig } from "../../../src/config.ts";
import { type EchoServer, startEchoServer } from "../../../src/echo/server.ts";
import { openInChromium } from "../../helpers/chromium.ts";
import { jsonLine, runBench, startNodeBaseline } from "../helpers.ts";

let echod: EchoServer;
let baseline: { port: number; stop(): void };
let dir = "";

beforeAll(async () => {
  echod = startEchoServer(resolveConfig({ port: 0, host: "127.0.0.1", metrics: false }));
  baseline = await startNodeBaseline();
  dir = mkdtempSync(join(tmpdir(), "echod-bench-html-"));
});

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  baseline.stop();
  await echod.stop(1);
});

describe.each([
  ["echod", ["-c", "4", "-R", "2000", "--threshold", "p99<2s"]],
  ["node baseline", ["-c", "4", "-p", "2", "-w", "2"]],
])("a run against %s", (name, flags) => {
  test("writes a page Chromium shows without errors, both charts drawn", async () => {
    const file = join(dir, `${name.replace(" ", "-")}.html`);
    const port = name === "echod" ? echod.port : baseline.port;
    const run = await runBench([`127.0.0.1:${port}`, ...flags, "-d", "3", "--html", file, "-j"]);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`wrote ${file}`);
    const r = jsonLine(run);
    const html = readFileSync(file, "utf8");
    // One point per measured second, the same counts as the report's.
    expect(html).toContain(`"messages":${JSON.stringify(r.perSecond.messages)}`);
    expect(html).not.toMatch(/<script[^>]+src=/);
    const page = await openInChromium(`file://${file}`);
    expect(page.errors).toEqual([]);
    expect(page.canvases.map((c) => c.id)).toEqual(["rate", "latency"]);
    for (const c of page.canvases) {
      expect(c.width).toBeGreaterThan(100);
      expect(c.colours).toBeGreaterThan(2);
    }
  }, 60_000);
});

test("the browser check fails a page that throws and leaves its canvas blank", async () => {
  const file = join(dir, "broken.html");
  writeFileSync(
    file,
    '<!doctype html><html><body><canvas id="blank"></canvas><script>console.error("boom"); undefinedFunction();</script></body></html>',
  );
  const page = await openInChromium(`file://${file}`);
  expect(page.errors.some((e) => e.includes("boom"))).toBe(true);
  expect(page.errors.some((e) => e.includes("undefinedFunction"))).toBe(true);
  expect(page.canvases).toEqual([{ id: "blank", colours: 1, width: 300 }]);
}, 60_000);

test("--html without a file name is a usage error, before any load", async () => {
  const bad = await runBench(["127.0.0.1:9", "--html", ""]);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain('invalid --html "": needs a file name');
});
