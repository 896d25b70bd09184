/**
 * Framing abuse against spawned echods with `--framing length-prefixed` and
 * `--framing line`: length headers claiming 4 GiB or one byte over
 * --max-message-size, headers split byte by byte, over-long lines with and
 * without a newline, NUL bytes, CR-only lines, a header followed by a close.
 * Each attack runs on its own connection while a well-behaved framed client
 * keeps a conversation going on another. An over-size message must end its
 * connection with echod's FIN (what came before it echoed, nothing after),
 * logged and counted as `message_too_large` exactly once per offender;
 * everything else is echoed byte-exactly; the good client never sees a
 * wrong byte; the process stays up.
 */
import { expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import type net from "node:net";
import { encodeLengthPrefixed } from "../../src/echo/faults/length-prefixed-framer.ts";
import { connect, exactReader, waitFor } from "../helpers/net-client.ts";
import {
  type Echod,
  killedAfterEach,
  LOOPBACK_WITH_ADMIN,
  spawnEchod,
} from "../helpers/spawn-echod.ts";
import { exchange, metrics, total } from "./tools.ts";

const running = killedAfterEach();

interface Attack {
  readonly what: string;
  readonly writes: Uint8Array[];
  readonly pauseMs?: number;
  /** Half-close after the writes. */
  readonly end: boolean;
  /** Exactly what must come back before echod's FIN. */
  readonly echo: Uint8Array;
  readonly reason: "message_too_large" | "peer_closed";
  /** Messages echod echoes for it (counted in echod_messages_total). */
  readonly messages: number;
}

const bytes = (...values: number[]) => Uint8Array.from(values);
const text = (s: string) => new TextEncoder().encode(s);
const cat = (...parts: Uint8Array[]) => Buffer.concat(parts);
const NONE = new Uint8Array(0);

interface GoodClient {
  rounds: number;
  messages: number;
  mismatches: number;
  stop(): Promise<void>;
}

/** A well-behaved framed client: 8 valid messages per round, each round's echo checked byte for byte. */
function goodClient(socket: net.Socket, makeRound: () => Uint8Array[]): GoodClient {
  const state: GoodClient = { rounds: 0, messages: 0, mismatches: 0, stop: async () => {} };
  const reader = exactReader(socket);
  let going = true;
  const loop = (async () => {
    while (going && !socket.destroyed) {
      const frames = makeRound();
      const sent = cat(...frames);
      socket.write(sent);
      const echoed = await reader.read(sent.length);
      if (echoed === null) {
        state.mismatches++;
        return;
      }
      if (!echoed.equals(sent)) state.mismatches++;
      state.rounds++;
      state.messages += frames.length;
      await Bun.sleep(5);
    }
  })();
  state.stop = async () => {
    going = false;
    await loop;
    socket.end();
  };
  return state;
}

async function runAttacks(
  framing: "line" | "length-prefixed",
  maxMessageSize: number,
  attacks: Attack[],
  makeRound: () => Uint8Array[],
): Promise<void> {
  const echod: Echod = await spawnEchod([
    ...LOOPBACK_WITH_ADMIN,
    "--framing",
    framing,
    "--max-message-size",
    String(maxMessageSize),
    "--log-level",
    "debug",
  ]);
  running.push(echod);
  const good = goodClient(await connect(echod.port), makeRound);
  const outcomes: string[] = [];
  const ports = new Map<number, Attack>();
  for (const attack of attacks) {
    const result = await exchange(echod.port, attack.writes, {
      pauseMs: attack.pauseMs ?? 0,
      end: attack.end,
    });
    outcomes.push(`${attack.what}: ${result.received.length} B back, ${result.ending}`);
    expect(`${attack.what}: ${result.ending}`).toBe(`${attack.what}: fin`);
    expect(result.received.equals(Buffer.from(attack.echo))).toBe(true);
    ports.set(result.localPort, attack);
  }
  const goodRoundsDuringAttacks = good.rounds;
  // ... and keeps being served after them.
  expect(await waitFor(() => good.rounds >= goodRoundsDuringAttacks + 5, 5000)).toBe(true);
  await good.stop();
  // Every attack connection has its "connection closed" line, with the reason expected for it.
  for (const [port, attack] of ports) {
    const line = await echod.waitForLine(
      (l) => l.msg === "connection closed" && String(l.remote).endsWith(`:${port}`),
    );
    expect(`${attack.what}: ${line.reason}`).toBe(`${attack.what}: ${attack.reason}`);
  }
  const m = await metrics(echod.metricsPort as number);
  const offenders = attacks.filter((a) => a.reason === "message_too_large").length;
  const tooLarge = total(m, "echod_connections_closed_total", { reason: "message_too_large" });
  const messages = total(m, "echod_messages_total");
  const received = total(m, "echod_received_bytes_total");
  const sent = total(m, "echod_sent_bytes_total");
  const discarded = total(m, "echod_discarded_bytes_total");
  console.log(
    `framing abuse (${framing}, max ${maxMessageSize} B): ${attacks.length} attacks, ${tooLarge} closed message_too_large; ` +
      `good client ${good.rounds} rounds (${goodRoundsDuringAttacks} during the attacks, the rest after), ${good.messages} messages, ${good.mismatches} wrong; ` +
      `bytes received ${received}, sent ${sent}, discarded ${discarded}; ${outcomes.join("; ")}`,
  );
  expect(tooLarge).toBe(offenders);
  // Logged at warn, at most once a second, counting every offender.
  const warned = () =>
    echod.lines
      .filter((l) => l.msg === "connections closed: message over --max-message-size")
      .reduce((n, l) => n + Number(l.closed), 0);
  expect(await waitFor(() => warned() === offenders, 3000)).toBe(true);
  expect(messages).toBe(good.messages + attacks.reduce((n, a) => n + a.messages, 0));
  // Every byte read is accounted for: echoed or discarded, none left held.
  expect(received).toBe(sent + discarded);
  expect(total(m, "echod_buffered_bytes")).toBe(0);
  expect(good.mismatches).toBe(0);
  expect(goodRoundsDuringAttacks).toBeGreaterThan(0);
  expect(echod.proc.exitCode).toBeNull();
  expect((await fetch(`http://127.0.0.1:${echod.metricsPort}/livez`)).status).toBe(200);
}

test("length-prefixed: 4 GiB and over-maximum headers, split headers, a header then a close; offenders closed as message_too_large, a good client unharmed", async () => {
  const MAX = 64 * 1024;
  const good = encodeLengthPrefixed(randomBytes(300));
  const atMax = encodeLengthPrefixed(randomBytes(MAX));
  const overHeader = bytes(0, 1, 0, 1); // 65,537: one byte over
  const attacks: Attack[] = [
    {
      what: "a header claiming 4 GiB",
      writes: [bytes(0xff, 0xff, 0xff, 0xff)],
      end: false,
      echo: NONE,
      reason: "message_too_large",
      messages: 0,
    },
    {
      what: "a header one byte over --max-message-size, with payload",
      writes: [cat(overHeader, randomBytes(1000))],
      end: false,
      echo: NONE,
      reason: "message_too_large",
      messages: 0,
    },
    {
      what: "a 4 GiB header split byte by byte",
      writes: [bytes(0xff), bytes(0xff), bytes(0xff), bytes(0xff)],
      pauseMs: 20,
      end: false,
      echo: NONE,
      reason: "message_too_large",
      messages: 0,
    },
    {
      what: "good frames, then an over-maximum header in the same write",
      writes: [cat(good, good, overHeader, randomBytes(100))],
      end: false,
      echo: cat(good, good),
      reason: "message_too_large",
      messages: 2,
    },
    {
      what: "a frame at exactly --max-message-size",
      writes: [atMax],
      end: true,
      echo: atMax,
      reason: "peer_closed",
      messages: 1,
    },
    {
      what: "a good frame with its header split byte by byte",
      writes: [good.subarray(0, 1), good.subarray(1, 2), good.subarray(2, 3), good.subarray(3)],
      pauseMs: 20,
      end: true,
      echo: good,
      reason: "peer_closed",
      messages: 1,
    },
    {
      what: "a header claiming 1,000 bytes, 10 of them, then a close",
      writes: [cat(bytes(0, 0, 0x03, 0xe8), randomBytes(10))],
      end: true,
      echo: NONE,
      reason: "peer_closed",
      messages: 0,
    },
    {
      what: "NUL bytes: a zero-length frame and a frame of zeros",
      writes: [cat(bytes(0, 0, 0, 0), encodeLengthPrefixed(new Uint8Array(64)))],
      end: true,
      echo: cat(bytes(0, 0, 0, 0), encodeLengthPrefixed(new Uint8Array(64))),
      reason: "peer_closed",
      messages: 2,
    },
  ];
  await runAttacks("length-prefixed", MAX, attacks, () =>
    Array.from({ length: 8 }, () =>
      encodeLengthPrefixed(randomBytes(1 + ((Math.random() * 4000) | 0))),
    ),
  );
}, 30_000);

test("line: over-long lines with and without a newline, CR-only lines, NUL bytes; offenders closed as message_too_large, a good client unharmed", async () => {
  const MAX = 4096;
  const attacks: Attack[] = [
    {
      what: "a line one byte over --max-message-size",
      writes: [text(`${"a".repeat(MAX + 1)}\n`)],
      end: false,
      echo: NONE,
      reason: "message_too_large",
      messages: 0,
    },
    {
      what: "1 MiB without a newline",
      writes: [text("b".repeat(2 ** 20))],
      end: false,
      echo: NONE,
      reason: "message_too_large",
      messages: 0,
    },
    {
      what: "CR-only line ends past the maximum",
      writes: [text("ab\r".repeat(1400))],
      end: false,
      echo: NONE,
      reason: "message_too_large",
      messages: 0,
    },
    {
      what: "good lines, then an over-long one in the same write",
      writes: [text(`x\ny\r\n${"z".repeat(5000)}\nafter\n`)],
      end: false,
      echo: text("x\ny\r\n"),
      reason: "message_too_large",
      messages: 2,
    },
    {
      what: "a line at exactly the maximum, CRLF-terminated",
      writes: [text(`${"c".repeat(MAX)}\r\n`)],
      end: true,
      echo: text(`${"c".repeat(MAX)}\r\n`),
      reason: "peer_closed",
      messages: 1,
    },
    {
      what: "NUL bytes inside and between lines",
      writes: [bytes(0x61, 0, 0x62, 0, 0, 10, 0, 10)],
      end: true,
      echo: bytes(0x61, 0, 0x62, 0, 0, 10, 0, 10),
      reason: "peer_closed",
      messages: 2,
    },
    {
      what: "CR-only lines, then a close (one last line)",
      writes: [text("one\rtwo\rthree\r")],
      end: true,
      echo: text("one\rtwo\rthree\r"),
      reason: "peer_closed",
      messages: 1,
    },
  ];
  const line = () => text(`${randomBytes(1 + ((Math.random() * 1500) | 0)).toString("base64")}\n`);
  await runAttacks("line", MAX, attacks, () => Array.from({ length: 8 }, line));
}, 30_000);
