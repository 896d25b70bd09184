/**
 * The client side of memory-budget.test.ts, run inside the test's network
 * namespace: CLIENTS connections to 127.0.0.1:PORT, each sending EACH bytes
 * of one random payload and reading nothing (paused) until told to. Bun
 * sockets, so nothing is buffered in user space: each write takes what the
 * kernel takes and the rest waits for `drain`. Meanwhile it scrapes
 * http://127.0.0.1:ADMIN/metrics every 50 ms and keeps the largest
 * echod_memory_queued_bytes it saw. Lines on stdout (JSON):
 *   {"phase":"stalled",...}  once nothing has been sent for 1 s (flow control holds every client),
 *   then, after "read" on stdin, every connection reads its echo (checked
 *   byte for byte against the payload), sends the rest, and
 *   {"phase":"done",...}     once every connection has its EACH bytes back or 60 s passed.
 */

import { randomBytes } from "node:crypto";
import type { Socket } from "bun";

const [port, admin, clients, each] = process.argv.slice(2).map(Number) as [
  number,
  number,
  number,
  number,
];
const payload = randomBytes(each);
const WRITE = 64 * 1024;

interface Client {
  sent: number;
  received: number;
  mismatch: boolean;
  done: boolean;
}

let reading = false;
let sentTotal = 0;
let finished = 0;
let onFinished: () => void = () => {};

function pump(socket: Socket<Client>): void {
  const c = socket.data;
  while (c.sent < each) {
    const n = socket.write(payload.subarray(c.sent, Math.min(c.sent + WRITE, each)));
    if (n <= 0) return;
    c.sent += n;
    sentTotal += n;
  }
}

const handlers = {
  open(socket: Socket<Client>) {
    socket.data = { sent: 0, received: 0, mismatch: false, done: false };
    if (!reading) socket.pause();
    pump(socket);
  },
  drain: pump,
  data(socket: Socket<Client>, chunk: Buffer) {
    const c = socket.data;
    if (!c.mismatch && chunk.compare(payload, c.received, c.received + chunk.length) !== 0) {
      c.mismatch = true;
    }
    c.received += chunk.length;
    if (c.received >= each && !c.done) {
      c.done = true;
      finished++;
      socket.end();
      if (finished === clients) onFinished();
    }
  },
  close(socket: Socket<Client>) {
    const c = socket.data;
    if (c !== undefined && !c.done) {
      c.done = true;
      finished++;
      if (finished === clients) onFinished();
    }
  },
  error() {},
};

let peakQueued = 0;
let budget = Number.NaN;
let samples = 0;
let sampling = true;
const metric = (text: string, name: string) =>
  Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1]);
const sampler = (async () => {
  while (sampling) {
    try {
      const text = await (await fetch(`http://127.0.0.1:${admin}/metrics`)).text();
      peakQueued = Math.max(peakQueued, metric(text, "echod_memory_queued_bytes"));
      budget = metric(text, "echod_memory_budget_bytes");
      samples++;
    } catch {}
    await Bun.sleep(50);
  }
})();

const sockets: Socket<Client>[] = [];
for (let i = 0; i < clients; i += 100) {
  const batch = Math.min(100, clients - i);
  sockets.push(
    ...(await Promise.all(
      Array.from({ length: batch }, () =>
        Bun.connect<Client>({ hostname: "127.0.0.1", port, socket: handlers }),
      ),
    )),
  );
}
const started = performance.now();
for (let last = -1; last !== sentTotal; ) {
  last = sentTotal;
  await Bun.sleep(1000);
}
const stalledAt = sentTotal;
console.log(
  JSON.stringify({
    phase: "stalled",
    sent: stalledAt,
    seconds: (performance.now() - started) / 1000,
    peakQueued,
    budget,
    samples,
  }),
);

for await (const line of console) {
  if (line.trim() === "read") break;
}
const readStarted = performance.now();
const allDone = new Promise<void>((resolve) => {
  onFinished = resolve;
  if (finished === clients) resolve();
});
reading = true;
for (const socket of sockets) socket.resume();
await Promise.race([allDone, Bun.sleep(60_000)]);
sampling = false;
await sampler;
const data = sockets.map((s) => s.data);
console.log(
  JSON.stringify({
    phase: "done",
    seconds: (performance.now() - readStarted) / 1000,
    peakQueued,
    samples,
    complete: data.filter((c) => c.received === each).length,
    mismatched: data.filter((c) => c.mismatch).length,
    received: data.reduce((sum, c) => sum + c.received, 0),
  }),
);
for (const socket of sockets) socket.terminate();
process.exit(0);
