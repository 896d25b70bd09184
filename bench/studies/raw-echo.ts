/**
 * A bare Bun.listen echo (reusePort) for the threads-vs-processes
 * experiment: the same code runs as a Worker thread or as a process. It
 * keeps the unsent tail of a short write and pauses until drain, so it loses
 * nothing, but has none of echod's limits, counters or shutdown.
 * `BINARY_TYPE` (buffer or uint8array) picks what `data` gets, for
 * bench/studies/profile.sh.
 */
import type { Socket, TCPSocketListenOptions } from "bun";

type Pending = Uint8Array | undefined;
const port = Number(process.env.PORT ?? 7500);
const binaryType = (process.env.BINARY_TYPE ?? "buffer") as "buffer";
if (binaryType !== "buffer" && binaryType !== "uint8array") {
  throw new Error(`BINARY_TYPE must be buffer or uint8array, not ${JSON.stringify(binaryType)}`);
}

const options: TCPSocketListenOptions<Pending> & { reusePort: boolean } = {
  hostname: "127.0.0.1",
  port,
  allowHalfOpen: true,
  reusePort: true,
  socket: {
    binaryType,
    data(socket: Socket<Pending>, chunk: Uint8Array) {
      const written = socket.write(chunk);
      if (written !== chunk.length) {
        socket.data = chunk.subarray(Math.max(0, written));
        socket.pause();
      }
    },
    drain(socket: Socket<Pending>) {
      const pending = socket.data;
      if (pending === undefined) return;
      const written = socket.write(pending);
      if (written === pending.length) {
        socket.data = undefined;
        socket.resume();
      } else if (written > 0) {
        socket.data = pending.subarray(written);
      }
    },
    end(socket: Socket<Pending>) {
      socket.end();
    },
  },
};
Bun.listen(options);
