/**
 * The PROXY protocol stage on a real TCP listener: hand-made v1 and v2
 * headers over loopback, each case checking what came back (the echo of
 * the data only, or nothing and a close), the counters, and that they
 * balance. Every client stops by itself: it half-closes, or the server
 * closes it.
 */
import { describe, expect, test } from "bun:test";
import type { EchoServer } from "../../../src/echo/server.ts";
import { startServer } from "../../helpers/echo-server.ts";
import { connect, waitFor } from "../../helpers/net-client.ts";
import { v2Header as v2 } from "../../helpers/proxy-header.ts";

interface Outcome {
  readonly received: Buffer;
  /** Milliseconds from connect until the server closed. */
  readonly closedAfterMs: number;
}

/** Writes each part (pausing `gapMs` between), half-closes unless `hold`, and collects until the server closes. */
async function exchange(
  port: number,
  parts: (string | Uint8Array)[],
  { gapMs = 0, hold = false }: { gapMs?: number; hold?: boolean } = {},
): Promise<Outcome> {
  const socket = await connect(port);
  const started = performance.now();
  const chunks: Buffer[] = [];
  const done = new Promise<Outcome>((resolve) => {
    socket.on("data", (d: Buffer) => chunks.push(d));
    socket.on("error", () => {});
    // The client half-open by default: answer the server's FIN so the socket closes.
    socket.on("end", () => socket.end());
    socket.on("close", () =>
      resolve({ received: Buffer.concat(chunks), closedAfterMs: performance.now() - started }),
    );
  });
  for (const part of parts) {
    socket.write(typeof part === "string" ? Buffer.from(part, "latin1") : part);
    if (gapMs > 0) await Bun.sleep(gapMs);
  }
  if (!hold) socket.end();
  return done;
}

const V2_INET = v2(0x21, 0x11, [203, 0, 113, 7, 127, 0, 0, 1, 0x30, 0x39, 0x1b, 0x5f]);
const IPV6_SRC = [0x20, 0x01, 0x0d, 0xb8, ...new Array(11).fill(0), 7];
const V2_INET6 = v2(0x21, 0x21, [...IPV6_SRC, ...new Array(15).fill(0), 1, 0x30, 0x39, 0x1b, 0x5f]);

function balanced(server: EchoServer): void {
  const s = server.stats;
  expect(s.receivedBytes).toBe(s.sentBytes + s.discardedBytes + s.bufferedBytes);
}

describe("PROXY protocol on a TCP listener", () => {
  test("v1 TCP4 and the data behind it in one write: only the data comes back", async () => {
    const server = startServer({ proxyProtocol: "v1" });
    const out = await exchange(server.port, [
      "PROXY TCP4 198.51.100.1 127.0.0.1 40000 7007\r\nhello, proxied\n",
    ]);
    console.log(`v1: ${out.received.length} bytes back`);
    expect(out.received.toString()).toBe("hello, proxied\n");
    expect(server.stats.proxyHeaders.v1.accepted).toBe(1);
    expect(server.stats.receivedBytes).toBe(15);
    balanced(server);
  });

  test("v1 TCP6, v2 IPv4 and v2 IPv6, a byte at a time, under any", async () => {
    const server = startServer({ proxyProtocol: "any" });
    const byByte = (b: Uint8Array | string) =>
      [...Buffer.from(b as string, "latin1")].map((x) => Uint8Array.of(x));
    const v1 = await exchange(
      server.port,
      [...byByte("PROXY TCP6 2001:db8::1 ::1 1 2\r\n"), "six"],
      { gapMs: 1 },
    );
    const v2a = await exchange(
      server.port,
      [...V2_INET].map((x) => Uint8Array.of(x)).concat([Buffer.from("four")]),
      { gapMs: 1 },
    );
    const v2b = await exchange(
      server.port,
      [V2_INET6.subarray(0, 20), V2_INET6.subarray(20), "sixv2"],
      { gapMs: 5 },
    );
    expect([v1.received.toString(), v2a.received.toString(), v2b.received.toString()]).toEqual([
      "six",
      "four",
      "sixv2",
    ]);
    expect(server.stats.proxyHeaders.v1.accepted).toBe(1);
    expect(server.stats.proxyHeaders.v2.accepted).toBe(2);
    balanced(server);
  });

  test("v2 LOCAL and v1 UNKNOWN are served with the socket's own address", async () => {
    const server = startServer({ proxyProtocol: "any" });
    const local = await exchange(server.port, [
      Uint8Array.from([...v2(0x20, 0x00, []), ...Buffer.from("health")]),
    ]);
    const unknown = await exchange(server.port, ["PROXY UNKNOWN\r\nwho"]);
    expect([local.received.toString(), unknown.received.toString()]).toEqual(["health", "who"]);
    expect(server.stats.proxyHeaders.v2.local).toBe(1);
    expect(server.stats.proxyHeaders.v1.local).toBe(1);
  });

  const refused: [string, (string | Uint8Array)[], "v1" | "v2" | "none", "invalid" | "closed"][] = [
    ["garbage", ["GET / HTTP/1.1\r\n\r\n"], "none", "invalid"],
    ["a TLS ClientHello", [Uint8Array.of(0x16, 0x03, 0x01, 0x02, 0x00)], "none", "invalid"],
    ["no header, just data", ["hello\n"], "none", "invalid"],
    ["a malformed v1", ["PROXY TCP4 1.2.3.4 5.6.7.8 99999 1\r\nx"], "v1", "invalid"],
    ["v1 without CRLF within 107 bytes", [`PROXY UNKNOWN ${"x".repeat(120)}`], "v1", "invalid"],
    ["a truncated v1, then FIN", ["PROXY TCP4 1.2.3.4 5.6"], "v1", "closed"],
    ["a truncated v2, then FIN", [V2_INET.subarray(0, 20)], "v2", "closed"],
    [
      "a v2 with a bad version",
      [v2(0x31, 0x11, [1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 0, 2])],
      "v2",
      "invalid",
    ],
    [
      "a v2 whose TLV runs over",
      [v2(0x21, 0x11, [1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 0, 2, 4, 0, 9])],
      "v2",
      "invalid",
    ],
    ["a FIN before any byte", [], "none", "closed"],
  ];
  for (const [what, parts, version, result] of refused) {
    test(`refused, nothing echoed: ${what}`, async () => {
      const server = startServer({ proxyProtocol: "any" });
      const out = await exchange(server.port, parts);
      expect(out.received.length).toBe(0);
      expect(server.stats.rejected.proxy_protocol).toBe(1);
      expect(server.stats.proxyHeaders[version][result]).toBe(1);
      expect(server.stats.accepted).toBe(0);
      expect(server.stats.receivedBytes).toBe(0);
      balanced(server);
    });
  }

  test("an oversized v2 (length past what arrives) waits, then times out; v1 under v2-only is refused", async () => {
    const server = startServer({ proxyProtocol: "v2", proxyProtocolTimeout: "300ms" });
    const big = v2(0x21, 0x11, new Array(12).fill(1));
    big[14] = 0xff; // claims 65,280 more bytes than it sends
    const out = await exchange(server.port, [big], { hold: true });
    console.log(`v2 header short of its length: closed after ${Math.round(out.closedAfterMs)} ms`);
    expect(out.received.length).toBe(0);
    expect(out.closedAfterMs).toBeGreaterThanOrEqual(250);
    expect(server.stats.proxyHeaders.v2.timeout).toBe(1);
    const v1 = await exchange(server.port, ["PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n"]);
    expect(v1.received.length).toBe(0);
    expect(server.stats.proxyHeaders.v1.invalid).toBe(1);
    expect(server.stats.rejected.proxy_protocol).toBe(2);
  });

  test("a silent client is closed after --proxy-protocol-timeout", async () => {
    const server = startServer({ proxyProtocol: "any", proxyProtocolTimeout: "400ms" });
    const out = await exchange(server.port, [], { hold: true });
    console.log(`silent client closed after ${Math.round(out.closedAfterMs)} ms (timeout 400 ms)`);
    expect(out.closedAfterMs).toBeGreaterThanOrEqual(350);
    expect(out.closedAfterMs).toBeLessThan(3000);
    expect(server.stats.proxyHeaders.none.timeout).toBe(1);
    expect(server.stats.rejected.proxy_protocol).toBe(1);
  });

  test("a source outside --proxy-protocol-from is served as without a header", async () => {
    const server = startServer({ proxyProtocol: "any", proxyProtocolFrom: "10.0.0.0/8,::1" });
    const line = "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n";
    const out = await exchange(server.port, [line]);
    expect(out.received.toString()).toBe(line);
    expect(server.stats.proxyHeaders.none.skipped).toBe(1);
    expect(server.stats.accepted).toBe(1);
  });

  test("--max-connections-per-ip counts the proxied address, not the balancer's", async () => {
    const server = startServer({ proxyProtocol: "v1", maxConnectionsPerIp: 1 });
    const header = (ip: string) => `PROXY TCP4 ${ip} 127.0.0.1 1000 7007\r\n`;
    const first = await connect(server.port);
    first.write(`${header("192.0.2.1")}a`);
    const echoed = await new Promise<string>((r) =>
      first.once("data", (d: Buffer) => r(d.toString())),
    );
    expect(echoed).toBe("a");
    const same = await exchange(server.port, [`${header("192.0.2.1")}b`]);
    const other = await exchange(server.port, [`${header("192.0.2.2")}c`]);
    first.end();
    expect([same.received.toString(), other.received.toString()]).toEqual(["", "c"]);
    expect(server.stats.rejected.per_ip_limit).toBe(1);
    expect(await waitFor(() => server.stats.active === 0)).toBe(true);
  });

  test("--allow and --deny judge the proxied address", async () => {
    const server = startServer({
      proxyProtocol: "any",
      allow: "192.0.2.0/24,2001:db8::/32",
      deny: "192.0.2.66",
    });
    const v1 = (ip: string) => `PROXY TCP4 ${ip} 127.0.0.1 1000 7007\r\nx`;
    const results = await Promise.all(
      [
        v1("192.0.2.1"),
        v1("192.0.2.66"),
        v1("198.51.100.1"),
        "PROXY TCP6 2001:db8::5 ::1 1 2\r\nx",
      ].map(async (h) => (await exchange(server.port, [h])).received.toString()),
    );
    expect(results).toEqual(["x", "", "", "x"]);
    expect(server.stats.rejected.denied).toBe(2);
    expect(server.stats.accepted).toBe(2);
  });

  test("without --proxy-protocol, a header is echoed like any bytes", async () => {
    const server = startServer({});
    const line = "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n";
    expect((await exchange(server.port, [line])).received.toString()).toBe(line);
  });

  test("with line framing and a fault on, the data after the header goes through the pipeline", async () => {
    const server = startServer({ proxyProtocol: "v1", framing: "line", delay: "20" });
    const out = await exchange(server.port, ["PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\none\ntwo\n"]);
    expect(out.received.toString()).toBe("one\ntwo\n");
    expect(server.stats.messages).toBe(2);
    balanced(server);
  });

  test("a header completed after shutdown began is refused, and the drain does not wait for it", async () => {
    const server = startServer({ proxyProtocol: "v1" });
    const socket = await connect(server.port);
    const closedP = new Promise<Buffer>((resolve) => {
      const chunks: Buffer[] = [];
      socket.on("data", (d: Buffer) => chunks.push(d));
      socket.on("end", () => socket.end());
      socket.on("error", () => {});
      socket.on("close", () => resolve(Buffer.concat(chunks)));
    });
    socket.write("PROXY TCP4 192.0.2.1 127.0.0.1 1 2");
    await Bun.sleep(50);
    const stopping = server.stop(5);
    socket.write("\r\nlate");
    const started = performance.now();
    const summary = await stopping;
    expect((await closedP).length).toBe(0);
    console.log(`drain took ${Math.round(performance.now() - started)} ms, ${summary.cut} cut`);
    expect(summary.cut).toBe(0);
    expect(server.stats.rejected.proxy_protocol).toBe(1);
    expect(server.stats.proxyHeaders.v1.closed).toBe(1);
  });
});
