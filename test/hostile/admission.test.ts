/**
 * Admission control against the real CLI over loopback. 2,000 connections
 * arrive as fast as 50 at a time can open under --accept-rate 100:50: each
 * client sends one byte and learns whether it was served (the byte comes
 * back) or refused (a close with nothing); the refusals the clients saw must
 * equal echod's rate_limited counter exactly, and the admitted ones must fit
 * the bucket. Then --allow and --deny with 127.0.0.1 and ::1 on a dual-stack
 * listener.
 */
import { expect, test } from "bun:test";
import net from "node:net";
import { LOOPBACK_WITH_ADMIN, spawnKilledAfterEach } from "../helpers/spawn-echod.ts";
import { metrics, total } from "./tools.ts";

const spawnEchod = spawnKilledAfterEach();

/** Connects, sends one byte, and says whether it came back (served) or the server closed first. */
function probe(port: number, host = "127.0.0.1"): Promise<"served" | "refused"> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error("probe timed out"));
    }, 10_000);
    let served = false;
    socket.on("connect", () => socket.write("x"));
    socket.on("data", () => {
      served = true;
      socket.end();
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(served ? "served" : "refused");
    });
  });
}

test("2,000 connections over --accept-rate 100:50: the refusals seen equal the rate_limited count", async () => {
  const echod = await spawnEchod([...LOOPBACK_WITH_ADMIN, "--accept-rate", "100:50"]);
  const TOTAL = 2000;
  const PARALLEL = 50;
  let served = 0;
  let refused = 0;
  const started = performance.now();
  for (let i = 0; i < TOTAL; i += PARALLEL) {
    const outcomes = await Promise.all(Array.from({ length: PARALLEL }, () => probe(echod.port)));
    for (const o of outcomes) o === "served" ? served++ : refused++;
  }
  const seconds = (performance.now() - started) / 1000;
  const m = await metrics(echod.metricsPort as number);
  const rejected = total(m, "echod_connections_rejected_total", { reason: "rate_limited" });
  const accepted = total(m, "echod_connections_accepted_total", { listener: "tcp" });
  console.log(
    `${TOTAL} connections in ${seconds.toFixed(2)} s: ${served} served, ${refused} refused; echod: accepted ${accepted}, rate_limited ${rejected}; bucket allows at most ${Math.floor(50 + 100 * seconds)}`,
  );
  expect(served + refused).toBe(TOTAL);
  expect(rejected).toBe(refused);
  expect(accepted).toBe(served);
  expect(served).toBeGreaterThanOrEqual(50);
  expect(served).toBeLessThanOrEqual(Math.floor(50 + 100 * seconds) + 1);
});

test("--allow and --deny with 127.0.0.1 and ::1 on a dual-stack listener; deny wins", async () => {
  const args = [
    "--host",
    "::",
    "--metrics-host",
    "127.0.0.1",
    "--metrics-port",
    "0",
    "--port",
    "0",
  ];
  const allowOnly4 = await spawnEchod([...args, "--allow", "127.0.0.1"]);
  const a = [await probe(allowOnly4.port, "127.0.0.1"), await probe(allowOnly4.port, "::1")];
  const denied6 = await spawnEchod([...args, "--allow", "127.0.0.0/8,::1", "--deny", "::1/128"]);
  const b = [await probe(denied6.port, "127.0.0.1"), await probe(denied6.port, "::1")];
  console.log(
    `--allow 127.0.0.1: v4 ${a[0]}, ::1 ${a[1]}; --allow 127.0.0.0/8,::1 --deny ::1/128: v4 ${b[0]}, ::1 ${b[1]}`,
  );
  expect(a).toEqual(["served", "refused"]);
  expect(b).toEqual(["served", "refused"]);
  for (const echod of [allowOnly4, denied6]) {
    const m = await metrics(echod.metricsPort as number);
    expect(total(m, "echod_connections_rejected_total", { reason: "denied" })).toBe(1);
    expect(total(m, "echod_connections_accepted_total", { listener: "tcp" })).toBe(1);
  }
});

test("under --workers 2, every worker applies --deny and the PROXY header: counts add up across them", async () => {
  const echod = await spawnEchod([
    ...LOOPBACK_WITH_ADMIN,
    "--workers",
    "2",
    "--proxy-protocol",
    "v1",
    "--deny",
    "192.0.2.66",
  ]);
  const N = 20;
  const header = (ip: string) => `PROXY TCP4 ${ip} 127.0.0.1 1000 7007\r\n`;
  const outcomes = await Promise.all(
    Array.from({ length: 2 * N }, (_, i) =>
      headerProbe(echod.port, header(i % 2 === 0 ? "192.0.2.66" : "192.0.2.1")),
    ),
  );
  const served = outcomes.filter((o) => o === "served").length;
  // Workers report to the primary on their own schedule: scrape until both have (bounded).
  let m = await metrics(echod.metricsPort as number);
  for (
    let i = 0;
    i < 50 && total(m, "echod_proxy_headers_total", { result: "accepted" }) < 2 * N;
    i++
  ) {
    await Bun.sleep(100);
    m = await metrics(echod.metricsPort as number);
  }
  console.log(`--workers 2: ${served} served, ${2 * N - served} refused of ${2 * N}`);
  expect(served).toBe(N);
  expect(total(m, "echod_proxy_headers_total", { version: "v1", result: "accepted" })).toBe(2 * N);
  expect(total(m, "echod_connections_rejected_total", { reason: "denied" })).toBe(N);
});

/** probe() with a PROXY header before the byte. */
function headerProbe(port: number, header: string): Promise<"served" | "refused"> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: "127.0.0.1" });
    const timer = setTimeout(() => socket.destroy(), 10_000);
    let served = false;
    socket.on("connect", () => socket.write(`${header}x`));
    socket.on("data", () => {
      served = true;
      socket.end();
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(served ? "served" : "refused");
    });
  });
}
