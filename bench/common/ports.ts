/**
 * Loopback ports for the bench scripts and tests: a free one to give a
 * server, and a wait until a server listens on one.
 */
import net from "node:net";

/** A free TCP port on loopback, found by binding port 0 and letting it go. */
export function freePort(): number {
  const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = listener.port;
  listener.stop(true);
  return port;
}

/** Resolves once something accepts connections on 127.0.0.1:`port`; throws after `ms`. */
export async function waitForPort(port: number, ms = 5000): Promise<void> {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    const up = await new Promise<boolean>((done) => {
      const socket = net.connect({ port, host: "127.0.0.1" }, () => {
        socket.destroy();
        done(true);
      });
      socket.on("error", () => done(false));
    });
    if (up) return;
    await Bun.sleep(25);
  }
  throw new Error(`nothing listens on 127.0.0.1:${port} after ${ms} ms`);
}
