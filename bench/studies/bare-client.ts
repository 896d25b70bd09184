/**
 * The floor for a load generator written on `Bun.connect`: CONNECTIONS
 * sockets each keeping PIPELINING messages of SIZE bytes in flight, writing
 * as many as come back, with nothing else: no verification, no latency, no
 * timers. What echod-bench costs per message beyond this is its own; what
 * this costs beyond the C generator is Bun's and the kernel's. Prints one
 * JSON line: msg/s and messages per CPU second of its thread, over SECONDS
 * after one second of warmup.
 *
 *   bun bench/studies/bare-client.ts PORT CONNECTIONS SIZE PIPELINING SECONDS
 */
import type { Socket } from "bun";

const [port, connections, size, pipelining, seconds] = process.argv.slice(2).map(Number);
if (
  ![port, connections, size, pipelining, seconds].every((v) => Number.isFinite(v) && (v ?? 0) > 0)
) {
  process.stderr.write("usage: bare-client.ts PORT CONNECTIONS SIZE PIPELINING SECONDS\n");
  process.exit(2);
}
const n = size as number;
const payload = Buffer.alloc(n * (pipelining as number), 0x61);
let messages = 0;
let errors = 0;

interface State {
  partial: number;
}

const handlers = {
  open(socket: Socket<State>) {
    socket.write(payload, 0, payload.length);
  },
  data(socket: Socket<State>, chunk: Buffer) {
    const s = socket.data;
    const total = s.partial + chunk.length;
    const done = Math.floor(total / n);
    s.partial = total - done * n;
    messages += done;
    // Pipelined reads come back whole, so a short write is not retried: it only lowers the count.
    if (done > 0) socket.write(payload, 0, done * n);
  },
  close() {
    errors++;
  },
  connectError() {
    errors++;
  },
};

for (let i = 0; i < (connections as number); i++) {
  Bun.connect<State>({
    hostname: "127.0.0.1",
    port: port as number,
    data: { partial: 0 },
    socket: handlers,
  }).catch(() => {});
}
await Bun.sleep(1000);
const m0 = messages;
const c0 = process.threadCpuUsage();
const t0 = performance.now();
await Bun.sleep((seconds as number) * 1000);
const cpu = process.threadCpuUsage(c0);
const elapsed = (performance.now() - t0) / 1000;
const m = messages - m0;
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
process.stdout.write(
  `${JSON.stringify({ messagesPerSecond: Math.round(m / elapsed), perCpuSecond: Math.round(m / cpuSeconds), cpu: Math.round((cpuSeconds / elapsed) * 1000) / 1000, errors })}\n`,
);
process.exit(0);
