#!/usr/bin/env bun
/**
 * Watches echod's memory over many short TLS connections (Bun has open
 * TLS leak reports: oven-sh/bun #17777, #16503). Makes a throw-away
 * certificate with openssl, starts echod with --tls-port in a child process,
 * then runs `--rounds` rounds of `--connections` TLS connections (50 at a
 * time, 1 KiB echoed each) and prints one JSON line per round with echod's
 * RSS from /proc. Bounded: rounds x connections, each with a timeout.
 *
 *   bun bench/soak/tls-soak.ts --rounds 10 --connections 2000
 *   bun bench/soak/tls-soak.ts --rounds 10 --connections 2000 --tcp   # the same over plain TCP
 */
import { rmSync } from "node:fs";
import net from "node:net";
import tls from "node:tls";
import { selfSignedDir } from "../common/certs.ts";
import { flagOption, type ScriptCli, scriptArgs, textOption } from "../common/cli.ts";
import { rssBytes } from "../common/proc.ts";
import { portOf, spawnEchod } from "../common/spawn-echod.ts";

const CLI: ScriptCli = {
  name: "tls-soak",
  usage:
    "bun bench/soak/tls-soak.ts [options]\n\nechod's RSS over rounds of short TLS connections.",
  options: {
    rounds: textOption("5", "Rounds of connections"),
    connections: textOption("2000", "TLS connections per round"),
    /** The same connections over plain TCP, to tell TLS's share of any growth. */
    tcp: flagOption("The same connections over plain TCP instead"),
  },
};
const values = scriptArgs<{ rounds: string; connections: string; tcp: boolean }>(CLI);
const certs = selfSignedDir("echod-tls-soak-");
const echod = await spawnEchod(
  ["0", "--host", "127.0.0.1", "--no-metrics"].concat([
    "--tls-port",
    "0",
    "--tls-cert",
    certs.cert,
    "--tls-key",
    certs.key,
  ]),
  { echoStderr: true },
);
const listeners = (echod.started.listeners ?? {}) as Record<string, unknown>;
const port = portOf(listeners[values.tcp ? "tcp" : "tls"]);
const dial = values.tcp
  ? () => net.connect({ port, host: "127.0.0.1" })
  : () => tls.connect({ port, host: "127.0.0.1", rejectUnauthorized: false });
const ready = values.tcp ? "connect" : "secureConnect";

const rss = () => rssBytes(echod.proc.pid);

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
rmSync(certs.dir, { recursive: true, force: true });
