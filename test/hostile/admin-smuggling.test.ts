/**
 * Request smuggling on the admin port, over raw sockets: Content-Length
 * with Transfer-Encoding, two Content-Lengths, obfuscated Transfer-Encoding,
 * obs-fold headers, bodies that carry a second request, pipelining,
 * absolute-URI request lines, very long URIs, bare LF line ends. Each is
 * written, the client half-closes, and every response up to echod's FIN is
 * read. What Bun.serve (1.4.5) and echod's routes answer is pinned per case,
 * response by response: the list is exact, so a request hidden in a body or
 * behind a malformed header that reached a route would show up as an extra
 * response (the hidden request is always GET /readyz, whose "ready" only
 * the plain pipelining case expects). Plain malformed Host, HTTP/1.0
 * without Host, OPTIONS and CONNECT are tested in test/admin/. The echo port
 * keeps serving throughout.
 */
import { expect, test } from "bun:test";
import net from "node:net";
import { echoOnce } from "../helpers/net-client.ts";
import { killedAfterEach, LOOPBACK_WITH_ADMIN, spawnEchod } from "../helpers/spawn-echod.ts";

const running = killedAfterEach();

const H = "Host: x\r\n";
/** The request some cases try to smuggle: 38 bytes. */
const HIDDEN = `GET /readyz HTTP/1.1\r\n${H}\r\n`;

/**
 * Writes `request`, half-closes, and reads until the server closes: each
 * response as "STATUS BODY" (a scrape as "<metrics>", another body over 40
 * bytes as "<N bytes>"), and
 * whether the server ended with a FIN.
 */
async function converse(
  port: number,
  request: string,
): Promise<{ responses: string[]; fin: boolean }> {
  const socket = net.connect({ port, host: "127.0.0.1", allowHalfOpen: true });
  const parts: Buffer[] = [];
  let fin = false;
  socket.on("data", (d: Buffer) => parts.push(d));
  socket.on("error", () => {});
  socket.once("end", () => {
    fin = true;
    socket.end();
  });
  await new Promise((r) => socket.once("connect", r));
  socket.end(request);
  await Promise.race([
    new Promise((r) => socket.once("close", r)),
    Bun.sleep(5000).then(() => socket.destroy()),
  ]);
  return { responses: parseResponses(Buffer.concat(parts)), fin };
}

function parseResponses(bytes: Buffer): string[] {
  const out: string[] = [];
  let at = 0;
  while (at < bytes.length) {
    const headEnd = bytes.indexOf("\r\n\r\n", at);
    if (headEnd < 0) {
      out.push(`unparsed ${JSON.stringify(bytes.subarray(at, at + 60).toString("latin1"))}`);
      break;
    }
    const head = bytes.subarray(at, headEnd).toString("latin1");
    const status = /^HTTP\/1\.1 (\d{3}) /.exec(head)?.[1] ?? `?${head.slice(0, 20)}`;
    const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
    const body = bytes.subarray(headEnd + 4, headEnd + 4 + length).toString("latin1");
    const shown = body.startsWith("# HELP echod_")
      ? "<metrics>"
      : body.length > 40
        ? `<${body.length} bytes>`
        : body;
    out.push(`${status} ${shown}`.trim());
    at = headEnd + 4 + length;
  }
  return out;
}

const CASES: [string, string, string[]][] = [
  [
    "Content-Length and Transfer-Encoding: chunked, a request in the body",
    `GET /livez HTTP/1.1\r\n${H}Content-Length: 42\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${HIDDEN}`,
    ["400"],
  ],
  [
    "two different Content-Lengths",
    `GET /livez HTTP/1.1\r\n${H}Content-Length: 0\r\nContent-Length: 38\r\n\r\n${HIDDEN}`,
    ["400"],
  ],
  [
    "two equal Content-Lengths (allowed: the body is read as a body)",
    `GET /livez HTTP/1.1\r\n${H}Content-Length: 38\r\nContent-Length: 38\r\n\r\n${HIDDEN}`,
    ["200 ok"],
  ],
  [
    "a Content-Length list",
    `GET /livez HTTP/1.1\r\n${H}Content-Length: 38, 38\r\n\r\n${HIDDEN}`,
    ["400"],
  ],
  [
    "a signed Content-Length",
    `POST /livez HTTP/1.1\r\n${H}Content-Length: +5\r\n\r\nabcde`,
    ["400"],
  ],
  [
    "a request in a Content-Length body (GET)",
    `GET /livez HTTP/1.1\r\n${H}Content-Length: 38\r\n\r\n${HIDDEN}`,
    ["200 ok"],
  ],
  [
    "a request in a Content-Length body (POST)",
    `POST /livez HTTP/1.1\r\n${H}Content-Length: 38\r\n\r\n${HIDDEN}`,
    ["405 method not allowed"],
  ],
  [
    "a request in a chunked body",
    `POST /livez HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n26\r\n${HIDDEN}\r\n0\r\n\r\n`,
    ["405 method not allowed"],
  ],
  [
    "a chunked body ended by bare LFs, a request after it",
    `POST /livez HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n0\n\n${HIDDEN}`,
    ["405 method not allowed", "400"],
  ],
  [
    "Transfer-Encoding: chunked twice",
    `POST /livez HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${HIDDEN}`,
    ["400"],
  ],
  [
    "Transfer-Encoding: gzip, chunked",
    `POST /livez HTTP/1.1\r\n${H}Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n${HIDDEN}`,
    ["400"],
  ],
  [
    "Transfer-Encoding: xchunked",
    `POST /livez HTTP/1.1\r\n${H}Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n${HIDDEN}`,
    ["400"],
  ],
  [
    "a space before the colon of Transfer-Encoding",
    `POST /livez HTTP/1.1\r\n${H}Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n${HIDDEN}`,
    ["400"],
  ],
  [
    "Transfer-Encoding: identity",
    `GET /livez HTTP/1.1\r\n${H}Transfer-Encoding: identity\r\n\r\n${HIDDEN}`,
    ["400"],
  ],
  ["an obs-fold header (space)", `GET /livez HTTP/1.1\r\n${H}X-A: one\r\n two\r\n\r\n`, ["400"]],
  ["an obs-fold header (tab)", `GET /livez HTTP/1.1\r\n${H}X-A: one\r\n\ttwo\r\n\r\n`, ["400"]],
  [
    "a Content-Length hidden in an obs-fold",
    `GET /livez HTTP/1.1\r\n${H}X-A: one\r\n Content-Length: 38\r\n\r\n${HIDDEN}`,
    ["400"],
  ],
  ["a NUL in a header value", `GET /livez HTTP/1.1\r\n${H}X-A: a\u0000b\r\n\r\n`, ["400"]],
  ["a bare CR in a header value", `GET /livez HTTP/1.1\r\n${H}X-A: a\rb\r\n\r\n`, ["400"]],
  ["bare LF line ends", "GET /livez HTTP/1.1\nHost: x\n\n", ["505"]],
  [
    "three pipelined requests (each answered once, in order)",
    `GET /livez HTTP/1.1\r\n${H}\r\n${HIDDEN}GET /nope HTTP/1.1\r\n${H}\r\n`,
    ["200 ok", "200 ready", "404 not found"],
  ],
  [
    "two pipelined HTTP/1.0 requests (1.0 closes after the first)",
    `GET /livez HTTP/1.0\r\n${H}\r\nGET /readyz HTTP/1.0\r\n${H}\r\n`,
    ["200 ok"],
  ],
  [
    "an absolute-URI request line (routed by its path)",
    `GET http://evil.example/livez HTTP/1.1\r\n${H}\r\n`,
    ["200 ok"],
  ],
  [
    "an absolute-URI to /metrics with a port and a query",
    `GET http://evil.example:9/metrics?x=1 HTTP/1.1\r\n${H}\r\n`,
    ["200 <metrics>"],
  ],
  [
    "an absolute-URI to another path",
    `GET http://evil.example/etc/passwd HTTP/1.1\r\n${H}\r\n`,
    ["404 not found"],
  ],
  ["a 16,000-byte URI", `GET /livez?${"a".repeat(16_000)} HTTP/1.1\r\n${H}\r\n`, ["200 ok"]],
  ["a 17,000-byte URI", `GET /livez?${"a".repeat(17_000)} HTTP/1.1\r\n${H}\r\n`, ["431"]],
  ["a 1 MB URI", `GET /${"a".repeat(1_000_000)} HTTP/1.1\r\n${H}\r\n`, ["431"]],
];

test(`${CASES.length} request-smuggling attempts on the admin port get exactly the pinned responses, then a FIN; echo unaffected`, async () => {
  const echod = await spawnEchod([...LOOPBACK_WITH_ADMIN]);
  running.push(echod);
  const admin = echod.metricsPort as number;
  let responses = 0;
  for (const [what, request, expected] of CASES) {
    const result = await converse(admin, request);
    const got = result.responses;
    responses += got.length;
    expect(`${what}: ${JSON.stringify(got)}, fin ${result.fin}`).toBe(
      `${what}: ${JSON.stringify(expected)}, fin true`,
    );
  }
  const { received } = await echoOnce(echod.port, Buffer.from("still echoing"));
  const livez = await fetch(`http://127.0.0.1:${admin}/livez`);
  console.log(
    `admin smuggling: ${CASES.length} attempts, ${responses} responses in all (${CASES.reduce((n, c) => n + c[2].length, 0)} pinned), ` +
      `none hidden in a body or behind a bad header answered; /livez ${livez.status} after, echo ${JSON.stringify(received.toString())}`,
  );
  expect(livez.status).toBe(200);
  expect(received.toString()).toBe("still echoing");
  expect(echod.proc.exitCode).toBeNull();
}, 30_000);
