#!/usr/bin/env bun
/**
 * Does the raw echo path stay as fast with this branch's features compiled in
 * but turned off? Runs the echo engine of two source trees (`--a DIR`,
 * `--b DIR`, each a checkout of echod) in child processes, one after the
 * other (which goes first alternates by round), `--rounds` times, and pushes
 * the same bytes through each over loopback from this process. Prints one
 * JSON line per run and a summary with the median MiB/s of each tree and
 * their ratio (b / a). Extra `--b-options JSON` (for example
 * '{"framing":"line"}') measures a feature's cost instead; with
 * '{"proxyProtocol":"v1"}' (or v2, any) each connection first sends a PROXY
 * header of that version (v1 for any), so the PROXY stage is measured. Bounded: every
 * run moves `--mib` MiB and times out.
 *
 *   bun bench/studies/hot-path.ts --a /path/to/main --b . --rounds 6
 */
import net from "node:net";
import { resolve } from "node:path";
import { scriptArgs, textOption } from "../common/cli.ts";

/** What a balancer sends first when the server runs with --proxy-protocol (`any` takes v1). */
const PROXY_V1_HEADER = Buffer.from("PROXY TCP4 198.51.100.7 127.0.0.1 40000 7007\r\n");
const PROXY_V2_HEADER = Buffer.from(
  "0d0a0d0a000d0a515549540a2111000cc6336407 7f000001 9c401b5f".replaceAll(" ", ""),
  "hex",
);

const values = scriptArgs<
  Record<"a" | "b" | "b-options" | "rounds" | "mib" | "connections" | "options", string> & {
    serve?: string;
  }
>({
  name: "hot-path",
  usage:
    "bun bench/studies/hot-path.ts --a DIR --b DIR [options]\n\nThe raw echo path of two checkouts, median MiB/s over alternating rounds.",
  options: {
    a: textOption(".", "The first checkout"),
    b: textOption(".", "The second checkout"),
    "b-options": textOption("{}", 'Config JSON for --b only, e.g. \'{"framing":"line"}\''),
    rounds: textOption("5", "Rounds; which tree goes first alternates"),
    mib: textOption("512", "MiB moved per run"),
    connections: textOption("8", "Connections per run"),
    serve: { type: "string", describe: "Internal: child mode, serve the engine of this checkout" },
    options: textOption("{}", "Internal: config JSON for --serve"),
  },
});

if (values.serve !== undefined) {
  // Child: start the engine of the tree in --serve and print its port.
  const root = resolve(values.serve);
  const { resolveConfig } = await import(`${root}/src/config.ts`);
  const { startEchoServer } = await import(`${root}/src/echo/server.ts`);
  const server = startEchoServer(
    resolveConfig({ port: 0, host: "127.0.0.1", metrics: false, ...JSON.parse(values.options) }),
  );
  process.stdout.write(`${server.port}\n`);
  process.stdin.on("data", () => {});
  process.stdin.on("end", () => process.exit(0));
} else {
  await compare();
}

async function compare(): Promise<void> {
  const rounds = Number(values.rounds);
  const mib = Number(values.mib);
  const connections = Number(values.connections);
  const results: Record<"a" | "b", number[]> = { a: [], b: [] };
  for (let round = 0; round < rounds; round++) {
    // Alternate which tree goes first (a b, b a, ...): the first run of a pair tends to differ.
    const order = round % 2 === 0 ? (["a", "b"] as const) : (["b", "a"] as const);
    for (const side of order) {
      const options = side === "b" ? (values["b-options"] as string) : "{}";
      const rate = await measure(values[side] as string, options, mib, connections);
      results[side].push(rate);
      process.stdout.write(
        `${JSON.stringify({ round, side, tree: resolve(values[side] as string), options, mibPerSecond: round2(rate) })}\n`,
      );
    }
  }
  const a = median(results.a);
  const b = median(results.b);
  process.stdout.write(
    `${JSON.stringify({ summary: true, medianA: round2(a), medianB: round2(b), ratio: round2(b / a) })}\n`,
  );
}

async function measure(tree: string, options: string, mib: number, connections: number) {
  const child = Bun.spawn(
    [process.execPath, import.meta.path, "--serve", resolve(tree), "--options", options],
    { stdin: "pipe", stdout: "pipe", stderr: "inherit" },
  );
  const reader = child.stdout.getReader();
  const { value } = await reader.read();
  const port = Number(new TextDecoder().decode(value).trim());
  const perConnection = Math.floor((mib * 1024 * 1024) / connections);
  // Lines of 1 KiB, so --framing line has messages to cut.
  const block = Buffer.alloc(64 * 1024, `${"x".repeat(1023)}\n`);
  const started = performance.now();
  const proxy = (JSON.parse(options) as { proxyProtocol?: string }).proxyProtocol;
  const header =
    proxy === undefined || proxy === "off"
      ? null
      : proxy === "v2"
        ? PROXY_V2_HEADER
        : PROXY_V1_HEADER;
  await Promise.all(
    Array.from({ length: connections }, () => pump(port, perConnection, block, header)),
  );
  const seconds = (performance.now() - started) / 1000;
  child.stdin.end();
  child.kill();
  await child.exited;
  return (perConnection * connections) / 1024 / 1024 / seconds;
}

function pump(port: number, bytes: number, block: Buffer, header: Buffer | null): Promise<void> {
  return new Promise((resolveDone, reject) => {
    const socket = net.connect({ port, host: "127.0.0.1" });
    let received = 0;
    const timer = setTimeout(() => reject(new Error("bench run timed out")), 120_000);
    socket.on("data", (d: Buffer) => {
      received += d.length;
      if (received >= bytes) {
        clearTimeout(timer);
        socket.destroy();
        resolveDone();
      }
    });
    socket.on("error", reject);
    socket.on("connect", async () => {
      if (header !== null) socket.write(header);
      for (let sent = 0; sent < bytes; sent += block.length) {
        const slice = sent + block.length > bytes ? block.subarray(0, bytes - sent) : block;
        if (!socket.write(slice)) await new Promise((r) => socket.once("drain", r));
      }
    });
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.floor(s.length / 2)] as number;
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
