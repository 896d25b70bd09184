/**
 * Fuzzes the admin port of a spawned echod with fast-check over raw
 * sockets: generated methods, request targets (dot segments, %-garbage,
 * backslashes, control bytes, high bytes, very long), Host variants (none,
 * empty, malformed, duplicated), extra and huge headers, bare LF, bodies.
 * Each generated request carries the one answer it must get:
 *
 * - a request Bun's parser accepts gets the status the routes define
 *   (200, 204, 404, 405), whatever its Host header;
 * - a request Bun's parser refuses gets Bun's own answer, pinned per class
 *   as measured on Bun 1.4.5 (400, 431, 505, or a close with no answer for a
 *   method Bun does not know, or a request cut short before its end);
 *
 * and never a 500, never a hang. Afterwards the process is alive, its RSS
 * and open descriptors are back near where they started, and it logged no
 * error.
 */
import { expect, test } from "bun:test";
import net from "node:net";
import fc from "fast-check";
import { echodForFile, LOOPBACK_WITH_ADMIN } from "../helpers/spawn-echod.ts";
import { openFds, rssBytes } from "./tools.ts";

const RUNS = 4000;
const MAX_BATCH = 6;

const daemon = echodForFile(LOOPBACK_WITH_ADMIN);

/** What a request must get: a status line with this code, or a close with no answer at all. */
type Expected = { readonly status: number } | { readonly closed: true };

interface Case {
  /** The class of request, for the tally and for failure messages. */
  readonly kind: string;
  /** The request, one char per byte (latin1). */
  readonly text: string;
  readonly expected: Expected;
}

// ---- The model: what the routes answer (docs/metrics-and-alerts.md, "The admin server") ----

const ROUTES = new Set(["/livez", "/readyz", "/metrics"]);

/** Methods Bun's parser knows (measured: each of these reaches the fetch handler). */
const BUN_METHODS = [
  "GET",
  "HEAD",
  "POST",
  "PUT",
  "DELETE",
  "OPTIONS",
  "TRACE",
  "PATCH",
  "CONNECT",
  "ACL",
  "COPY",
  "LOCK",
  "MKCOL",
  "MOVE",
  "PROPFIND",
  "PURGE",
  "QUERY",
  "REPORT",
  "SEARCH",
  "UNLOCK",
] as const;

function expectedStatus(method: string, path: string): number {
  if (method === "CONNECT") return 405;
  if (method === "OPTIONS" && (path === "/" || ROUTES.has(path))) return 204;
  if (!ROUTES.has(path)) return 404;
  return method === "GET" || method === "HEAD" ? 200 : 405;
}

/** The path a target resolves to: as a WHATWG URL under some host, bytes read as UTF-8. */
function resolvedPath(target: string): string {
  const utf8 = new TextDecoder().decode(Buffer.from(target, "latin1"));
  return new URL(utf8.startsWith("/") ? `http://h${utf8}` : utf8).pathname;
}

// ---- Generators ----

const chars = (alphabet: string, min: number, max: number) =>
  fc.array(fc.constantFrom(...alphabet), { minLength: min, maxLength: max }).map((a) => a.join(""));

const VISIBLE = Array.from({ length: 0x7f - 0x21 }, (_, i) => String.fromCharCode(0x21 + i)).join(
  "",
);
const HIGH = Array.from({ length: 0x80 }, (_, i) => String.fromCharCode(0x80 + i)).join("");
/** Bytes Bun takes inside a request target: visible ASCII, DEL and anything >= 0x80. */
const TARGET_BYTES = `${VISIBLE}\x7f${HIGH}`;
/** tchar (RFC 9110) without ':'; Bun accepts each of these in a header name. */
const NAME_CHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
/** Bytes Bun takes inside a header value: space, tab, visible ASCII, DEL, >= 0x80. */
const VALUE_BYTES = ` \t${VISIBLE}\x7f${HIGH}`;

const segment = fc.oneof(
  fc.constantFrom("livez", "readyz", "metrics", "LIVEZ", "..", ".", "%2e%2e", "%2E", "%zz", "%"),
  fc.constantFrom("%00", "%2F", "a", "", "\\", "livez%00", "%6Civez", ".."),
  chars(TARGET_BYTES, 1, 12),
  fc.integer({ min: 1000, max: 4000 }).map((n) => "a".repeat(n)),
);

/** An origin-form target: a known path often, else segments with an optional query and fragment. */
const originTarget = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom("/livez", "/readyz", "/metrics", "/") },
  {
    weight: 5,
    arbitrary: fc
      .tuple(
        fc.array(segment, { minLength: 0, maxLength: 6 }),
        fc.option(chars(TARGET_BYTES, 0, 20), { nil: undefined }),
        fc.option(chars(TARGET_BYTES, 0, 10), { nil: undefined }),
      )
      .map(
        ([segs, query, fragment]) =>
          `/${segs.join("/")}${query === undefined ? "" : `?${query}`}${fragment === undefined ? "" : `#${fragment}`}`,
      )
      .filter((t) => t.length < 6000),
  },
);

/** An absolute-form target (a proxy's request line): Bun drops its authority. */
const absoluteTarget = fc
  .tuple(
    fc.constantFrom("http://", "https://"),
    fc.constantFrom("a", "example.com", "127.0.0.1:9090", "[::1]", "[::1]:80"),
    originTarget,
  )
  .map(([scheme, authority, path]) => `${scheme}${authority}${path}`);

const hostValue = fc.oneof(
  fc.constantFrom("", "a b", "[::1", "x:99999", "%zz", "localhost", "127.0.0.1:9090"),
  fc.constantFrom("[::1]:80", "a/b", "a?b", "a#b", "a@b", "a\\b", "x:", ":80", " padded "),
  chars(`${VISIBLE} `, 0, 40),
);

const header = fc.tuple(
  fc.oneof(
    fc.constantFrom("Accept", "User-Agent", "X-Forwarded-For", "Cookie", "Accept-Encoding"),
    chars(NAME_CHARS, 1, 20),
  ),
  chars(VALUE_BYTES, 0, 60),
);

const body = fc.oneof(
  fc.constant(null),
  chars(`${VISIBLE}\r\n\x00${HIGH}`, 0, 2048),
  fc.integer({ min: 2048, max: 16_000 }).map((n) => "b".repeat(n)),
);

/** A request Bun's parser accepts: its answer is the route's. */
const accepted: fc.Arbitrary<Case> = fc
  .record({
    method: fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom("GET", "HEAD", "OPTIONS") },
      { weight: 2, arbitrary: fc.constantFrom(...BUN_METHODS) },
    ),
    version: fc.constantFrom("1.0", "1.1"),
    target: fc.oneof(
      { weight: 4, arbitrary: originTarget },
      { weight: 1, arbitrary: absoluteTarget },
    ),
    hosts: fc.oneof(
      { weight: 1, arbitrary: fc.constant([]) },
      { weight: 6, arbitrary: fc.array(hostValue, { minLength: 1, maxLength: 2 }) },
    ),
    headers: fc.array(header, { minLength: 0, maxLength: 12 }),
    duplicate: fc.boolean(),
    big: fc.option(fc.integer({ min: 1000, max: 8000 }), { nil: undefined }),
    body,
    chunked: fc.boolean(),
  })
  .map((r) => {
    const lines = [`${r.method} ${r.target} HTTP/${r.version}`];
    for (const host of r.hosts) lines.push(`Host: ${host}`);
    for (const [name, value] of r.headers) lines.push(`${name}: ${value}`);
    if (r.duplicate && r.headers[0]) lines.push(`${r.headers[0][0]}: ${r.headers[0][1]}`);
    if (r.big !== undefined) lines.push(`X-Big: ${"v".repeat(r.big)}`);
    let payload = "";
    if (r.body !== null) {
      if (r.chunked && r.version === "1.1") {
        lines.push("Transfer-Encoding: chunked");
        payload = `${r.body.length.toString(16)}\r\n${r.body}\r\n0\r\n\r\n`;
        if (r.body.length === 0) payload = "0\r\n\r\n";
      } else {
        lines.push(`Content-Length: ${r.body.length}`);
        payload = r.body;
      }
    }
    if (r.version === "1.1") lines.push("Connection: close");
    const text = `${lines.join("\r\n")}\r\n\r\n${payload}`;
    // HTTP/1.1 requires a Host header: Bun answers 400 without one.
    if (r.version === "1.1" && r.hosts.length === 0) {
      return { kind: "HTTP/1.1 without Host", text, expected: { status: 400 } };
    }
    const status = expectedStatus(r.method, resolvedPath(r.target));
    return { kind: `routed ${status}`, text, expected: { status } };
  });

/** CONNECT in authority form (a proxy tunnel request): 405. */
const connectAuthority: fc.Arbitrary<Case> = fc
  .tuple(fc.constantFrom("127.0.0.1:80", "example.com:443", "[::1]:22", "x:1"), fc.boolean())
  .map(([authority, withHost]) => ({
    kind: "CONNECT authority-form",
    text: `CONNECT ${authority} HTTP/1.1\r\n${withHost ? `Host: ${authority}\r\n` : "Host:\r\n"}Connection: close\r\n\r\n`,
    expected: { status: 405 },
  }));

const GOOD_LINE = "GET /livez HTTP/1.0";

/** Requests Bun's parser refuses, each class with the answer Bun 1.4.5 gives it. */
const refused: fc.Arbitrary<Case> = fc.oneof(
  // A method token Bun does not know, letters and '-' only: closed at once, no answer.
  fc
    .oneof(
      chars("ABCDEFGHIJKLMNOPQRSTUVWXYZ-", 1, 10).map((m) => `X${m}`),
      fc.constantFrom("get", "Get", "post", "options", "FOO", "PRI", "GETX"),
    )
    .map((m) => ({
      kind: "unknown method",
      text: `${m} /livez HTTP/1.0\r\n\r\n`,
      expected: { closed: true } as const,
    })),
  // A method token with a digit or a tchar symbol: 400.
  fc
    .tuple(
      chars("ABCDEFGHIJKLMNOPQRSTUVWXYZ", 1, 4),
      fc.constantFrom(..."0123456789!#$%&'*+.^_`|~"),
    )
    .map(([m, c]) => ({
      kind: "method with a symbol",
      text: `${m}${c} /livez HTTP/1.0\r\n\r\n`,
      expected: { status: 400 },
    })),
  // A version other than HTTP/1.0 and 1.1: 505.
  fc.constantFrom("HTTP/1.2", "HTTP/2.0", "HTTP/0.9", "http/1.0", "HTTP/1.0 ", "").map((v) => ({
    kind: "bad version",
    text: `GET /livez ${v}\r\n\r\n`,
    expected: { status: 505 },
  })),
  // A control byte (or a space) inside the target ends it early: the rest is read as the version, 505.
  fc
    .tuple(fc.integer({ min: 0, max: 32 }), originTarget)
    .filter(([c]) => c !== 13)
    .map(([c, target]) => ({
      kind: "control byte in target",
      text: `GET ${target}${String.fromCharCode(c)}x HTTP/1.0\r\n\r\n`,
      expected: { status: 505 },
    })),
  // A control byte other than tab in a header value (bare LF and lone CR included): 400.
  fc
    .integer({ min: 0, max: 31 })
    .filter((c) => c !== 9)
    .map((c) => ({
      kind: "control byte in header value",
      text: `${GOOD_LINE}\r\nX-A: a${String.fromCharCode(c)}b\r\n\r\n`,
      expected: { status: 400 },
    })),
  // A header line that is not `name: value`: 400.
  fc
    .oneof(
      fc.constantFrom(...'"(),/;<=>?@[\\]{} ').map((c) => `X${c}A: v`),
      fc.constantFrom("X-A : v", ": v", "NoColon", " X-A: v", "\tX-A: v"),
    )
    .map((line) => ({
      kind: "malformed header line",
      text: `${GOOD_LINE}\r\n${line}\r\n\r\n`,
      expected: { status: 400 },
    })),
  // A folded (obs-fold) header: 400.
  fc.constant({
    kind: "obs-fold",
    text: `${GOOD_LINE}\r\nX-A: a\r\n folded\r\n\r\n`,
    expected: { status: 400 },
  }),
  // A header section of 16 KiB or more (one huge header, a huge target, or 250+ headers): 431.
  fc
    .oneof(
      fc
        .integer({ min: 16_384, max: 64 * 1024 })
        .map((n) => `${GOOD_LINE}\r\nX-Huge: ${"h".repeat(n)}\r\n\r\n`),
      fc
        .integer({ min: 16_384, max: 64 * 1024 })
        .map((n) => `GET /${"p".repeat(n)} HTTP/1.0\r\n\r\n`),
      fc
        .integer({ min: 250, max: 600 })
        .map(
          (n) =>
            `${GOOD_LINE}\r\n${Array.from({ length: n }, (_, i) => `X-${i}: v\r\n`).join("")}\r\n`,
        ),
    )
    .map((text) => ({ kind: "header section too large", text, expected: { status: 431 } })),
  // Framing Bun will not guess at: bad or conflicting Content-Length, TE it cannot decode: 400.
  fc
    .constantFrom(
      "Content-Length: x",
      "Content-Length: -1",
      "Content-Length: 99999999999999999999",
      "Content-Length: 2\r\nContent-Length: 3",
      "Content-Length: 2\r\nTransfer-Encoding: chunked",
      "Transfer-Encoding: gzip",
      "Transfer-Encoding: chunked",
    )
    .map((h) => ({
      kind: "bad body framing",
      text: `POST /livez HTTP/1.0\r\n${h}\r\n\r\n`,
      expected: { status: 400 },
    })),
  // Bare LF line ends: in the request line the version runs on (505); inside the headers 400.
  fc.constant({
    kind: "bare LF request line",
    text: `${GOOD_LINE}\n\n`,
    expected: { status: 505 },
  }),
  fc.constant({
    kind: "bare LF header lines",
    text: "GET /livez HTTP/1.1\r\nHost: x\nConnection: close\r\n\r\n",
    expected: { status: 400 },
  }),
  // Empty lines before the request line, `OPTIONS *`: 400.
  fc.constant({
    kind: "CRLF before request",
    text: `\r\n${GOOD_LINE}\r\n\r\n`,
    expected: { status: 400 },
  }),
  fc.constant({ kind: "OPTIONS *", text: "OPTIONS * HTTP/1.0\r\n\r\n", expected: { status: 400 } }),
  // Cut short before the blank line: no answer, closed after our FIN.
  fc
    .tuple(accepted, fc.integer({ min: 1, max: 1000 }))
    .map(([c, cut]) => ({ end: c.text.indexOf("\r\n\r\n"), c, cut }))
    .filter(({ end, cut }) => end > 0 && cut <= end)
    .map(({ c, end, cut }) => ({
      kind: "cut short",
      text: c.text.slice(0, end - cut + 1),
      expected: { closed: true } as const,
    })),
);

const anyCase: fc.Arbitrary<Case> = fc.oneof(
  { weight: 6, arbitrary: accepted },
  { weight: 1, arbitrary: connectAuthority },
  { weight: 4, arbitrary: refused },
);

// ---- The client ----

interface Outcome {
  /** The status of the answer, or null when the server closed without one. */
  readonly status: number | null;
  /** True when the server did not close within 3 s. */
  readonly hung: boolean;
}

/** Sends `text`, half-closes and reads until the server closes. */
function send(text: string): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = net.connect(daemon.admin, "127.0.0.1");
    let head = "";
    let hung = false;
    socket.setEncoding("latin1");
    socket.on("data", (d: string) => {
      if (head.length < 64) head += d;
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      clearTimeout(timer);
      const status = /^HTTP\/1\.1 (\d{3}) /.exec(head)?.[1];
      resolve({ status: status === undefined ? null : Number(status), hung });
    });
    const timer = setTimeout(() => {
      hung = true;
      socket.destroy();
    }, 3000);
    socket.end(Buffer.from(text, "latin1"));
  });
}

function describeCase(c: Case): string {
  const shown =
    c.text.length > 200 ? `${c.text.slice(0, 200)}... (${c.text.length} bytes)` : c.text;
  return `${c.kind}: ${JSON.stringify(shown)}`;
}

test(`${RUNS} batches of up to ${MAX_BATCH} generated requests each get their pinned answer, never a 500 or a hang`, async () => {
  // Warm up, so the RSS baseline is a running server's and not a fresh one's.
  for (let i = 0; i < 200; i++) await send("GET /metrics HTTP/1.0\r\n\r\n");
  await Bun.sleep(200);
  const rssBefore = rssBytes(daemon.echod.proc.pid);
  const fdsBefore = openFds(daemon.echod.proc.pid);
  const tally = new Map<string, number>();
  const statuses = new Map<string, number>();
  let sent = 0;
  const started = performance.now();

  await fc.assert(
    fc.asyncProperty(fc.array(anyCase, { minLength: 1, maxLength: MAX_BATCH }), async (batch) => {
      const outcomes = await Promise.all(batch.map((c) => send(c.text)));
      batch.forEach((c, i) => {
        const got = outcomes[i] as Outcome;
        sent++;
        tally.set(c.kind, (tally.get(c.kind) ?? 0) + 1);
        const key = got.status === null ? "closed" : String(got.status);
        statuses.set(key, (statuses.get(key) ?? 0) + 1);
        const wanted = "closed" in c.expected ? null : c.expected.status;
        if (got.hung || got.status !== wanted) {
          throw new Error(
            `${describeCase(c)} -> ${got.hung ? "no close within 3 s" : (got.status ?? "closed without an answer")}, wanted ${wanted ?? "a close without an answer"}`,
          );
        }
      });
    }),
    { numRuns: RUNS },
  );

  const seconds = (performance.now() - started) / 1000;
  // Let closed sockets and freed buffers settle before measuring again.
  await Bun.sleep(500);
  const rssAfter = rssBytes(daemon.echod.proc.pid);
  const fdsAfter = openFds(daemon.echod.proc.pid);
  const live = await send("GET /livez HTTP/1.0\r\n\r\n");
  const errors = daemon.echod.lines.filter((l) => Number(l.level) >= 50);
  const mib = (b: number) => (b / 2 ** 20).toFixed(1);
  console.log(
    `admin fuzz: ${sent} requests in ${seconds.toFixed(1)} s; answers ${JSON.stringify(Object.fromEntries(statuses))}; ` +
      `RSS ${mib(rssBefore)} -> ${mib(rssAfter)} MiB, fds ${fdsBefore} -> ${fdsAfter}; ${errors.length} error lines`,
  );
  console.log(`admin fuzz classes: ${JSON.stringify(Object.fromEntries(tally))}`);
  expect(sent).toBeGreaterThanOrEqual(2000);
  expect(statuses.has("500")).toBe(false);
  expect(live).toEqual({ status: 200, hung: false });
  expect(daemon.echod.proc.exitCode).toBeNull();
  expect(errors).toEqual([]);
  // Every connection was closed: the descriptors are back (a few for the runtime's own use).
  expect(fdsAfter - fdsBefore).toBeLessThanOrEqual(2);
  expect(rssAfter - rssBefore).toBeLessThan(32 * 2 ** 20);
}, 60_000);
