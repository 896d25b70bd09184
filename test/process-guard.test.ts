/**
 * The process guard: an exception nothing caught is logged (at most a line
 * a second, with the count of the ones held back), counted, and the process
 * keeps running. The last tests check, in child processes, the Bun behaviour
 * the guard exists for: without it an exception thrown from a socket handler
 * ends the process; with it the process carries on.
 */
import { expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Logger } from "../src/log.ts";
import { createProcessGuard, describe, LOG_INTERVAL_MS } from "../src/process-guard.ts";
import { ROOT, runCommand } from "./helpers/spawn-echod.ts";

interface Line {
  readonly fields: Record<string, unknown>;
  readonly msg: string;
}

function recordingLogger(lines: Line[], { throws = false } = {}): Logger {
  return {
    error(fields: Record<string, unknown>, msg: string) {
      if (throws) throw new Error("the log destination is gone");
      lines.push({ fields, msg });
    },
  } as unknown as Logger;
}

test("a burst of errors is one line at once and one summary line a second later; every error is counted", async () => {
  const lines: Line[] = [];
  let clock = 0;
  const guard = createProcessGuard(recordingLogger(lines), () => clock);
  for (let i = 0; i < 50; i++) guard.report("uncaughtException", new TypeError(`boom ${i}`));
  expect(guard.count()).toBe(50);
  expect(lines).toHaveLength(1);
  expect(lines[0]?.fields).toMatchObject({
    kind: "uncaughtException",
    error: "TypeError: boom 0",
    errors: 1,
  });
  expect(String(lines[0]?.fields.stack)).toContain("process-guard.test.ts");
  // The held-back 49 are reported when the interval ends, even with no further error.
  clock = LOG_INTERVAL_MS;
  await Bun.sleep(LOG_INTERVAL_MS + 100);
  expect(lines).toHaveLength(2);
  expect(lines[1]?.fields).toMatchObject({ error: "TypeError: boom 49", errors: 49 });
  // A second later, the next error gets a line of its own again.
  clock = 3 * LOG_INTERVAL_MS;
  guard.report("unhandledRejection", new Error("late"));
  expect(lines).toHaveLength(3);
  expect(lines[2]?.fields).toMatchObject({ kind: "unhandledRejection", errors: 1 });
  console.log(`process guard: 51 errors counted in ${lines.length} log lines`);
});

test("any thrown value is described without throwing, and a failing logger does not make report throw", () => {
  const hostile = {
    toString() {
      throw new Error("no");
    },
  };
  expect(describe(undefined)).toBe("non-error value thrown: undefined");
  expect(describe("plain text")).toBe("plain text");
  expect(describe(Symbol("s"))).toBe("non-error value thrown: Symbol(s)");
  expect(describe(hostile)).toBe("non-error value thrown (not printable)");
  const guard = createProcessGuard(recordingLogger([], { throws: true }), () => 0);
  const stderr = process.stderr.write;
  let complained = "";
  process.stderr.write = ((text: string) => {
    complained += text;
    return true;
  }) as typeof process.stderr.write;
  try {
    expect(() => guard.report("uncaughtException", hostile)).not.toThrow();
  } finally {
    process.stderr.write = stderr;
  }
  expect(guard.count()).toBe(1);
  expect(complained).toContain("internal error while reporting an error");
});

/**
 * A child that throws from a UDP socket's error handler (Bun calls it when an
 * echo comes back as ICMP port-unreachable), from a timer and from a
 * rejected promise, after its entry module has finished (before that, Bun
 * only prints such errors). It prints how many throws it made and how many
 * the guard counted, then exits 0.
 */
const CHILD = `
import { createLogger } from "${resolve(ROOT, "src/log.ts")}";
import { installProcessGuard, internalErrors } from "${resolve(ROOT, "src/process-guard.ts")}";
const guarded = process.argv[2] === "guard";
if (guarded) installProcessGuard(createLogger("error", "json"));
let thrown = 0;
async function run() {
  const server = await Bun.udpSocket({ hostname: "127.0.0.1", port: 0, socket: {
    data(socket, data, port, address) { socket.send(data, port, address); },
    error(_socket, error) { thrown++; throw new Error("from the udp error handler: " + typeof error); },
  } });
  for (let i = 0; i < 3; i++) {
    const sender = await Bun.udpSocket({ hostname: "127.0.0.1", port: 0 });
    sender.send("hi", server.port, "127.0.0.1");
    sender.close();
    await Bun.sleep(50);
  }
  setTimeout(() => { thrown++; throw new Error("from a timer"); }, 1);
  thrown++;
  Promise.reject(new Error("nobody handles this"));
  await Bun.sleep(100);
  server.close();
  process.stderr.write("thrown " + thrown + " counted " + internalErrors() + "\\n");
  process.exit(0);
}
run();
`;

async function runChild(mode: "guard" | "bare") {
  const file = join(tmpdir(), `echod-process-guard-child-${process.pid}.ts`);
  await Bun.write(file, CHILD);
  try {
    return await runCommand([process.execPath, file, mode], {}, 15_000);
  } finally {
    rmSync(file, { force: true });
  }
}

test("Bun 1.4.5: with the guard, exceptions from a UDP error handler, a timer and a promise leave the process running, each counted", async () => {
  const { code, stdout, stderr } = await runChild("guard");
  expect(code).toBe(0);
  const [, thrown, counted] = /thrown (\d+) counted (\d+)/.exec(stderr) ?? [];
  expect(Number(thrown)).toBeGreaterThanOrEqual(3);
  expect(Number(counted)).toBe(Number(thrown));
  const logged = stdout
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { msg: string });
  expect(logged[0]?.msg).toBe("internal error; echod keeps running");
  console.log(
    `guarded child: ${thrown} throws, ${counted} counted, ${logged.length} log line(s), exit ${code}`,
  );
}, 20_000);

test("Bun 1.4.5: without the guard, the first exception from the UDP error handler ends the process with exit 1", async () => {
  const { code, stderr } = await runChild("bare");
  expect(code).toBe(1);
  expect(stderr).toContain("from the udp error handler: undefined");
  expect(stderr).not.toMatch(/thrown \d+ counted/);
  console.log(`unguarded child: exit ${code}`);
}, 20_000);
