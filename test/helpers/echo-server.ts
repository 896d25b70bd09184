/**
 * In-process echo servers for tests: `startServer(options)` binds one on
 * 127.0.0.1, port 0, without the admin server, and every server a test file
 * started is stopped after each test.
 */
import { afterEach } from "bun:test";
import { resolveConfig } from "../../src/config.ts";
import { type EchoServer, startEchoServer } from "../../src/echo/server.ts";

let servers: EchoServer[] = [];

afterEach(async () => {
  await Promise.all(servers.map((s) => s.stop(1)));
  servers = [];
});

export function startServer(options: Parameters<typeof resolveConfig>[0] = {}): EchoServer {
  const server = startEchoServer(
    resolveConfig({ port: 0, host: "127.0.0.1", metrics: false, ...options }),
  );
  servers.push(server);
  return server;
}
