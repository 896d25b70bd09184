/**
 * TLS after a PROXY protocol header, on a TLS listener that accepts plain
 * TCP. Bun's server-side `upgradeTLS()` loses bytes already read (the
 * ClientHello usually arrives with the header: docs/bun-notes.md#tls), so
 * TLS runs here through `node:tls` over a Duplex that is fed the rest of
 * the header's chunk first, then every raw chunk. The echo handlers see a
 * small socket-shaped object with the same semantics as Bun's: `write`
 * returns the bytes taken (0 while node's buffer waits to drain, -1 once
 * closed), `drain` follows a short write, `pause` and `resume` stop and
 * start reading the raw socket, so backpressure holds end to end.
 * One difference from the native TLS listener: Bun answers a client's
 * close_notify at once, so a client that ends its TLS side before it has
 * read all its echo (a TLS half-close) does not get the rest.
 */
import { Duplex } from "node:stream";
import { TLSSocket } from "node:tls";
import type { SocketHandler, TLSOptions } from "bun";
import type { Connection, EchoSocket } from "../connection.ts";
import type { HandshakeHandler } from "../tls.ts";

/** The raw socket's events, forwarded by the PROXY stage once TLS runs over it. */
export interface TlsBridge {
  /** What the echo handlers are given: open it, then `data(first bytes)`. */
  readonly socket: EchoSocket;
  data(chunk: Uint8Array): void;
  drain(): void;
  end(): void;
  close(): void;
}

export function bridgeTls(
  raw: EchoSocket,
  tls: TLSOptions,
  handlers: SocketHandler<Connection>,
  handshake: HandshakeHandler,
): TlsBridge {
  let tail: Uint8Array | null = null;
  let tailDone: ((error?: Error | null) => void) | null = null;
  let endRaw: "end" | "shutdown" | null = null;
  let secured = false;
  let closed = false;
  let needDrain = false;

  let rawEnded = false;
  const finishRaw = () => {
    if (tail !== null || endRaw === null || rawEnded) return;
    rawEnded = true;
    if (endRaw === "end") raw.end();
    else raw.shutdown();
  };
  /** Sends close_notify after what is written, then the raw FIN (or half-close) once that is out. */
  const closeTls = (how: "end" | "shutdown") => {
    if (endRaw !== null) return;
    endRaw = how;
    secure.end(() => setImmediate(finishRaw));
  };
  const duplex = new Duplex({
    allowHalfOpen: true,
    read() {},
    write(chunk: Buffer, _encoding, done) {
      const n = raw.write(chunk);
      if (n < 0 || n === chunk.length) {
        done();
        return;
      }
      tail = chunk.subarray(n);
      tailDone = done;
    },
  });
  // Bun's TLS over a Duplex ends the Duplex as soon as the client's close_notify
  // arrives (and answers it with its own), before our echo has gone out: the raw
  // side is ended here instead, once echod ends its TLS side (finishRaw).
  duplex.end = (() => duplex) as typeof duplex.end;
  const secure = new TLSSocket(duplex as never, {
    isServer: true,
    ...(tls as Record<string, unknown>),
  });

  const socket = {
    data: undefined as Connection | undefined,
    get remoteAddress() {
      return raw.remoteAddress;
    },
    get remotePort() {
      return raw.remotePort;
    },
    write(chunk: Uint8Array): number {
      if (closed) return -1;
      if (needDrain) return 0;
      needDrain = !secure.write(chunk);
      return chunk.length;
    },
    end() {
      if (!secured) raw.end();
      else closeTls("end");
    },
    shutdown: () => closeTls("shutdown"),
    pause: () => raw.pause(),
    resume: () => raw.resume(),
    terminate() {
      raw.terminate();
      secure.destroy();
    },
  } as unknown as EchoSocket;

  secure.on("secure", () => {
    secured = true;
    const error = secure.authorized ? null : new Error(String(secure.authorizationError));
    handshake(socket, true, error);
    if (error !== null && tls.rejectUnauthorized === true) socket.terminate();
  });
  secure.on("data", (chunk: Buffer) => handlers.data?.(socket, chunk));
  secure.on("drain", () => {
    needDrain = false;
    handlers.drain?.(socket);
  });
  secure.on("end", () => handlers.end?.(socket));
  secure.on("error", (error: Error) => {
    if (!secured) handshake(socket, false, error);
    handlers.error?.(socket, error);
    raw.terminate();
  });
  secure.on("close", () => {
    if (closed) return;
    closed = true;
    handlers.close?.(socket, undefined);
  });

  return {
    socket,
    data: (chunk) => duplex.push(chunk),
    drain() {
      if (tail === null) return;
      const n = raw.write(tail);
      if (n >= 0 && n < tail.length) {
        tail = tail.subarray(n);
        return;
      }
      tail = null;
      const done = tailDone;
      tailDone = null;
      done?.();
      finishRaw();
    },
    end: () => duplex.push(null),
    close() {
      if (!secure.destroyed) secure.destroy();
      if (!closed) {
        closed = true;
        handlers.close?.(socket, undefined);
      }
    },
  };
}
