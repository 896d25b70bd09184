#!/usr/bin/env bun
/**
 * How long do the first connections wait at start-up? Starts echod (metrics
 * on) from a checkout, connects as soon as its port accepts, and for one
 * second makes a new connection after another, each echoing one byte;
 * prints the slowest round trip. Repeats `--rounds` times.
 *
 *   bun bench/studies/first-echo.ts [--tree DIR] [--rounds 3]
 */
import { resolve } from "node:path";
import { scriptArgs, textOption } from "../common/cli.ts";
import { freePort } from "../common/ports.ts";

const values = scriptArgs<{ tree: string; rounds: string }>({
  name: "first-echo",
  usage:
    "bun bench/studies/first-echo.ts [options]\n\nThe slowest first echoes right after echod starts.",
  options: {
    tree: textOption(resolve(import.meta.dir, "../.."), "The echod checkout to start"),
    rounds: textOption("3", "Start-ups to measure"),
  },
});
const rounds = Number(values.rounds);
if (!Number.isInteger(rounds) || rounds < 1) {
  process.stderr.write(
    `first-echo: --rounds must be a whole number above 0, not ${values.rounds}\n`,
  );
  process.exit(2);
}
const main = resolve(values.tree, "src/main.ts");

/** One connection that sends a byte and waits for it to come back; rejects if it cannot connect. */
function echoOne(port: number): Promise<number> {
  const started = performance.now();
  return new Promise((done, fail) => {
    Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        open(socket) {
          socket.write("x");
        },
        data(socket) {
          socket.end();
          done(performance.now() - started);
        },
        connectError(_socket, error) {
          fail(error);
        },
      },
    }).catch(fail);
  });
}

for (let round = 1; round <= rounds; round++) {
  const port = freePort();
  const proc = Bun.spawn(
    [process.execPath, main, String(port), "--host", "127.0.0.1", "--log-level", "warn"].concat([
      "--metrics-port",
      "0",
      "--metrics-host",
      "127.0.0.1",
    ]),
    { stdin: "ignore", stdout: "ignore", stderr: "inherit" },
  );
  try {
    const giveUp = performance.now() + 10_000;
    let first: number | null = null;
    while (first === null && performance.now() < giveUp) {
      first = await echoOne(port).catch(() => null);
      if (first === null) await Bun.sleep(2);
    }
    if (first === null) throw new Error(`echod did not accept on ${port} within 10 s`);
    let slowest = first;
    const until = performance.now() + 1000;
    while (performance.now() < until) slowest = Math.max(slowest, await echoOne(port));
    process.stdout.write(
      `${values.tree}: round ${round}: first echo ${first.toFixed(1)} ms, slowest in the first second ${slowest.toFixed(1)} ms\n`,
    );
  } finally {
    proc.kill();
    await proc.exited;
  }
}
