#!/usr/bin/env bun
/**
 * Watches echod's memory over many short TLS connections (Bun has open
 * TLS leak reports: oven-sh/bun #17777, #16503). Makes a throw-away
 * certificate with openssl, starts echod with --tls-port in a child process,
 * then runs `--rounds` rounds of `--connections` TLS connections (50 at a
 * time, 1 KiB echoed each) and prints one JSON line per round with echod's
 * RSS from /proc. Bounded: rounds x connections, each with a timeout.
 *
 *   bun bench/tls-soak.ts --rounds 10 --connections 2000
 *   bun bench/tls-soak.ts --rounds 10 --connections 2000 --tcp   # the same over plain TCP
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import tls from "node:tls";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "5" },
    connections: { type: "string", default: "2000" },
    /** The same connections over plain TCP, to tell TLS's share of any growth. */
    tcp: { type: "boolean", default: false },
  },
});
const dir = mkdtempSync(join(tmpdir(), "echod-tls-soak-"));
const cert = join(dir, "cert.pem");
const key = join(dir, "key.pem");
Bun.spawnSync(
  ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"].concat([
    "-keyout",
    key,
    "-out",
    cert,
    "-subj",
    "/CN=soak",
  ]),
  { stdout: "ignore", stderr: "ignore" },
);
const main = resolve(import.meta.dir, "../src/main.ts");
const echod = Bun.spawn(
  [process.execPath, main, "0", "--host", "127.0.0.1", "--no-metrics"].concat([
    "--tls-port",
    "0",
    "--tls-cert",
    cert,
    "--tls-key",
    key,
  ]),
  { stdout: "pipe", stderr: "inherit" },
);
const reader = echod.stdout.getReader();
let text = "";
while (!text.includes("echod listening")) {
  const { value, done } = await reader.read();
  if (done) throw new Error("echod exited");
  text += new TextDecoder().decode(value);
}
const started = JSON.parse(text.split("\n").find((l) => l.includes("echod listening")) as string);
const port = Number(
  String(started.listeners[values.tcp ? "tcp" : "tls"])
    .split(":")
    .pop(),
);
const dial = values.tcp
  ? () => net.connect({ port, host: "127.0.0.1" })
  : () => tls.connect({ port, host: "127.0.0.1", rejectUnauthorized: false });
const ready = values.tcp ? "connect" : "secureConnect";

const rss = () =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${echod.pid}/status`, "utf8"))?.[1]) * 1024;

function once(payload: Buffer): Promise<void> {
  return new Promise((done, fail) => {
    const socket = dial();
    let got = 0;
    const timer = setTimeout(() => fail(new Error("timeout")), 10_000);
    socket.on(ready, () => socket.write(payload));
    socket.on("data", (d: Buffer) => {
      got += d.length;
      if (got >= payload.length) {
        clearTimeout(timer);
        socket.end();
        done();
      }
    });
    socket.on("error", fail);
  });
}

const payload = Buffer.alloc(1024, 1);
const total = Number(values.connections);
process.stdout.write(`${JSON.stringify({ round: 0, connections: 0, rssBytes: rss() })}\n`);
for (let round = 1; round <= Number(values.rounds); round++) {
  for (let done = 0; done < total; done += 50) {
    await Promise.all(Array.from({ length: Math.min(50, total - done) }, () => once(payload)));
  }
  await Bun.sleep(500);
  process.stdout.write(
    `${JSON.stringify({ round, connections: round * total, rssBytes: rss() })}\n`,
  );
}
echod.kill();
await echod.exited;
rmSync(dir, { recursive: true, force: true });
