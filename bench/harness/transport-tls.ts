/**
 * The socket handlers of a run by transport. TCP and Unix sockets share the
 * plain ones; TLS wraps them: a TLS socket takes nothing before its
 * handshake, so the plain `open` (which starts sending, and in churn records
 * the connect latency) runs from `handshake` instead, and a handshake that
 * fails (a certificate the --ca did not sign, a name that does not match, a
 * client certificate the server refused) is counted as a `tls` error, the
 * connection retried after 100 ms like a refused one. A TLS 1.3 server's
 * refusal of the client certificate comes after the handshake, as an
 * EPROTO socket error: counted as `tls` too.
 */
import type { SocketHandler } from "bun";
import type { Conn, EngineOptions } from "./engine-conn.ts";
import { createHandlers } from "./engine-handlers.ts";
import { next } from "./engine-lifecycle.ts";

export function createTransportHandlers(o: EngineOptions): SocketHandler<Conn> {
  const plain = createHandlers();
  if (o.tls === null) return plain;
  const open = plain.open as NonNullable<typeof plain.open>;
  const close = plain.close as NonNullable<typeof plain.close>;
  const failed = new WeakSet<Conn>();
  return {
    ...plain,
    open(socket) {
      socket.data.socket = socket;
    },
    handshake(socket, success) {
      const c = socket.data;
      if (success) {
        open(socket);
        return;
      }
      // Ended by us mid-handshake (the run stopped): not the server's failure.
      if (c.closing) return;
      c.run.errors.tls++;
      failed.add(c);
      c.closing = true;
      socket.terminate();
    },
    // TLS 1.3: the client's handshake is done before the server checks the client
    // certificate, so its refusal (an alert) arrives afterwards as EPROTO.
    error(socket, error) {
      const c = socket.data;
      if ((error as { code?: string } | undefined)?.code !== "EPROTO") {
        c.run.errors.other++;
        return;
      }
      if (failed.has(c) || c.closing) return;
      c.run.errors.tls++;
      failed.add(c);
      c.closing = true;
      socket.terminate();
    },
    close(socket, error) {
      const c = socket.data;
      if (failed.delete(c)) {
        next(c, 100);
        return;
      }
      close(socket, error);
    },
  };
}
