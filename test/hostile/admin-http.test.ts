/**
 * The admin port against the HTTP that real tools send and the edge cases
 * the issue lists: HTTP/1.0 without Host, an empty or malformed Host
 * (`a b`, `[::1`, `x:99999`, `%zz`), `OPTIONS / HTTP/1.0` (HAProxy's
 * default health check), `OPTIONS *` and CONNECT. Each form goes over a raw
 * socket, through `printf | nc`, and through `curl` where curl can express
 * it. Every one of them used to be a 500 (routing went through `new URL`,
 * which Bun's relative request URL does not survive); they must get the
 * documented answer, and no 500 or error line may appear in the log.
 */
import { describe, expect, test } from "bun:test";
import net from "node:net";
import { echodForFile, LOOPBACK_WITH_ADMIN } from "../helpers/spawn-echod.ts";

const daemon = echodForFile(LOOPBACK_WITH_ADMIN);

interface Reply {
  readonly status: number;
  readonly headers: Map<string, string>;
  readonly body: string;
}

function parse(text: string): Reply {
  const split = text.indexOf("\r\n\r\n");
  const head = split < 0 ? text : text.slice(0, split);
  const [statusLine = "", ...lines] = head.split("\r\n");
  const headers = new Map<string, string>();
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon > 0) headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
  }
  const status = Number(/^HTTP\/1\.[01] (\d{3}) /.exec(statusLine)?.[1] ?? Number.NaN);
  return { status, headers, body: split < 0 ? "" : text.slice(split + 4) };
}

/** Writes `request`, half-closes, and reads until the server closes (3 s at most). */
function raw(request: string): Promise<Reply> {
  return new Promise((resolve) => {
    const socket = net.connect(daemon.admin, "127.0.0.1");
    let text = "";
    socket.setEncoding("latin1");
    socket.on("data", (d: string) => {
      text += d;
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(parse(text));
    });
    const timer = setTimeout(() => socket.destroy(), 3000);
    socket.end(request);
  });
}

/** The same bytes through `printf '%b' | nc -N`. */
async function nc(request: string): Promise<Reply> {
  const escaped = request.replaceAll("\\", "\\\\").replaceAll("\r", "\\r").replaceAll("\n", "\\n");
  const proc = Bun.spawn(
    ["bash", "-c", `printf '%b' "$REQ" | nc -N -w 3 127.0.0.1 ${daemon.admin}`],
    {
      env: { ...process.env, REQ: escaped },
      stdout: "pipe",
      stderr: "ignore",
      timeout: 5000,
    },
  );
  const [out] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
  return parse(out);
}

/** `curl -i` with `args`; the reply as curl received it. */
async function curl(args: string[]): Promise<Reply> {
  const proc = Bun.spawn(["curl", "-sS", "-i", "--max-time", "5", ...args], {
    stdout: "pipe",
    stderr: "pipe",
    timeout: 7000,
  });
  const [out] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
  return parse(out);
}

const url = (path: string) => `http://127.0.0.1:${daemon.admin}${path}`;

/** What each route answers to a GET: status and a piece of the body. */
const ROUTES = [
  { path: "/livez", body: "ok\n" },
  { path: "/readyz", body: "ready\n" },
  { path: "/metrics", body: "echod_received_bytes_total" },
] as const;

/** Request heads for GET `path` with no usable Host header. */
const HOSTLESS = {
  "HTTP/1.0 without Host": (path: string) => `GET ${path} HTTP/1.0\r\n\r\n`,
  "an empty Host": (path: string) => `GET ${path} HTTP/1.1\r\nHost:\r\nConnection: close\r\n\r\n`,
  "Host: a b": (path: string) => `GET ${path} HTTP/1.1\r\nHost: a b\r\nConnection: close\r\n\r\n`,
  "Host: [::1": (path: string) => `GET ${path} HTTP/1.1\r\nHost: [::1\r\nConnection: close\r\n\r\n`,
  "Host: x:99999": (path: string) =>
    `GET ${path} HTTP/1.1\r\nHost: x:99999\r\nConnection: close\r\n\r\n`,
  "Host: %zz": (path: string) => `GET ${path} HTTP/1.1\r\nHost: %zz\r\nConnection: close\r\n\r\n`,
} as const;

const ALLOW = "GET, HEAD, OPTIONS";

describe("requests without a usable Host header", () => {
  for (const [form, head] of Object.entries(HOSTLESS)) {
    test(`${form}: every route answers 200 over a raw socket and through nc`, async () => {
      const seen: string[] = [];
      for (const { path, body } of ROUTES) {
        for (const [client, send] of [
          ["raw", raw],
          ["nc", nc],
        ] as const) {
          const reply = await send(head(path));
          seen.push(`${client} ${path} ${reply.status}`);
          expect(reply.status).toBe(200);
          expect(reply.body).toContain(body);
        }
      }
      console.log(`${form}: ${seen.join(", ")}`);
    });
  }

  test("curl: --http1.0 with Host removed, an empty Host, Host: a b and Host: [::1 all get 200", async () => {
    const seen: string[] = [];
    for (const { path, body } of ROUTES) {
      for (const args of [
        ["--http1.0", "-H", "Host:"],
        ["-H", "Host;"],
        ["-H", "Host: a b"],
        ["-H", "Host: [::1"],
      ]) {
        const reply = await curl([...args, url(path)]);
        seen.push(`${args.join(" ")} ${path} ${reply.status}`);
        expect(reply.status).toBe(200);
        expect(reply.body).toContain(body);
      }
    }
    console.log(`curl without a usable Host: ${seen.join(", ")}`);
  });

  test("HEAD over HTTP/1.0 without Host gets 200 and no body", async () => {
    const reply = await raw("HEAD /livez HTTP/1.0\r\n\r\n");
    console.log(`HEAD /livez HTTP/1.0: ${reply.status}, body ${reply.body.length} bytes`);
    expect(reply.status).toBe(200);
    expect(reply.body).toBe("");
  });
});

describe("OPTIONS", () => {
  test("OPTIONS / HTTP/1.0 (HAProxy's default check) gets 204 with Allow, by raw socket, nc and curl", async () => {
    const replies = [
      await raw("OPTIONS / HTTP/1.0\r\n\r\n"),
      await nc("OPTIONS / HTTP/1.0\r\n\r\n"),
      await curl(["--http1.0", "-H", "Host:", "-X", "OPTIONS", url("/")]),
    ];
    console.log(
      `OPTIONS /: ${replies.map((r) => `${r.status} allow=${r.headers.get("allow")}`).join(", ")}`,
    );
    for (const reply of replies) {
      expect(reply.status).toBe(204);
      expect(reply.headers.get("allow")).toBe(ALLOW);
      expect(reply.body).toBe("");
    }
  });

  test("OPTIONS on each route gets 204 with Allow; on an unknown path 404", async () => {
    const seen: string[] = [];
    for (const { path } of ROUTES) {
      const reply = await curl(["-X", "OPTIONS", url(path)]);
      seen.push(`${path} ${reply.status}`);
      expect(reply.status).toBe(204);
      expect(reply.headers.get("allow")).toBe(ALLOW);
    }
    const unknown = await raw("OPTIONS /nope HTTP/1.0\r\n\r\n");
    seen.push(`/nope ${unknown.status}`);
    console.log(`OPTIONS: ${seen.join(", ")}`);
    expect(unknown.status).toBe(404);
  });

  test("OPTIONS * is refused by Bun's parser itself with 400", async () => {
    const replies = [
      await raw("OPTIONS * HTTP/1.0\r\n\r\n"),
      await curl(["-X", "OPTIONS", "--request-target", "*", url("/")]),
    ];
    console.log(`OPTIONS *: ${replies.map((r) => r.status).join(", ")}`);
    for (const reply of replies) expect(reply.status).toBe(400);
  });
});

describe("CONNECT", () => {
  test("CONNECT in authority form and in origin form gets 405 with Allow", async () => {
    const replies = [
      await raw("CONNECT 127.0.0.1:80 HTTP/1.1\r\nHost: 127.0.0.1:80\r\nConnection: close\r\n\r\n"),
      await nc("CONNECT 127.0.0.1:80 HTTP/1.0\r\n\r\n"),
      await raw("CONNECT /livez HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
      await curl(["-X", "CONNECT", url("/metrics")]),
    ];
    console.log(
      `CONNECT: ${replies.map((r) => `${r.status} allow=${r.headers.get("allow")}`).join(", ")}`,
    );
    for (const reply of replies) {
      expect(reply.status).toBe(405);
      expect(reply.headers.get("allow")).toBe(ALLOW);
    }
  });
});

test("after all of the above: echod is alive, never answered 500 and logged no error", async () => {
  const live = await curl([url("/livez")]);
  const errors = daemon.echod.lines.filter((l) => Number(l.level) >= 50);
  console.log(`after the edge cases: /livez ${live.status}, ${errors.length} error lines`);
  expect(live.status).toBe(200);
  expect(errors).toEqual([]);
  expect(daemon.echod.proc.exitCode).toBeNull();
});
