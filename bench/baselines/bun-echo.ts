/**
 * A bare `Bun.listen` echo server, the floor for any echo server on Bun: it
 * writes what it reads, keeps the unwritten tail, flushes it on drain and
 * stops reading while more than LIMIT bytes wait, and nothing else (no
 * counters, limits, logging or shutdown). `npm run bench:compare` runs it
 * beside echod, so that where echod is behind C, the gap Bun itself sets is
 * in the same table.
 *
 * Usage: bun bench/baselines/bun-echo.ts PORT [HOST]   (prints "listening PORT" once bound)
 */
import type { Socket } from "bun";

/** Pause above this many queued bytes, resume once they are all written: echod's default --max-buffer. */
const LIMIT = 1024 * 1024;

interface Queue {
  chunks: Uint8Array[];
  bytes: number;
  paused: boolean;
  ending: boolean;
}

/** Writes the queued chunks until the kernel takes less than offered; true when nothing is left. */
function flush(socket: Socket<Queue>, q: Queue): boolean {
  while (q.chunks.length > 0) {
    const chunk = q.chunks[0] as Uint8Array;
    const written = socket.write(chunk);
    if (written < 0) return true; // closed: nothing more to do
    q.bytes -= written;
    if (written < chunk.length) {
      q.chunks[0] = chunk.subarray(written);
      return false;
    }
    q.chunks.shift();
  }
  return true;
}

const [port = "0", hostname = "127.0.0.1"] = process.argv.slice(2);
const listener = Bun.listen<Queue>({
  hostname,
  port: Number(port),
  allowHalfOpen: true,
  socket: {
    open(socket) {
      socket.data = { chunks: [], bytes: 0, paused: false, ending: false };
    },
    data(socket, chunk) {
      const q = socket.data;
      if (q.bytes === 0) {
        const written = socket.write(chunk);
        if (written === chunk.length || written < 0) return;
        q.chunks.push(written === 0 ? chunk : chunk.subarray(written));
        q.bytes += chunk.length - written;
      } else {
        q.chunks.push(chunk);
        q.bytes += chunk.length;
      }
      if (q.bytes > LIMIT && !q.paused) {
        q.paused = true;
        socket.pause();
      }
    },
    drain(socket) {
      const q = socket.data;
      if (q.bytes === 0 || !flush(socket, q)) return;
      if (q.ending) socket.end();
      else if (q.paused) {
        q.paused = false;
        socket.resume();
      }
    },
    end(socket) {
      // Half-close: what is still queued goes back first.
      if (socket.data.bytes === 0) socket.end();
      else socket.data.ending = true;
    },
  },
});
process.stdout.write(`listening ${listener.port}\n`);
