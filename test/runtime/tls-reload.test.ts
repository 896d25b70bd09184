/** SIGHUP's TLS reload: the outcome as text, and one log line for it. */
import { expect, test } from "bun:test";
import type { Logger } from "../../src/log.ts";
import { reloadTlsLogged, tlsReloadError } from "../../src/runtime/tls-reload.ts";

function recordingLog() {
  const lines: [string, unknown[]][] = [];
  const log = {
    info: (...args: unknown[]) => lines.push(["info", args]),
    error: (...args: unknown[]) => lines.push(["error", args]),
  } as unknown as Logger;
  return { log, lines };
}

test("a reload that works gives null; one that throws or rejects gives its message", async () => {
  expect(await tlsReloadError(() => {})).toBeNull();
  expect(await tlsReloadError(async () => {})).toBeNull();
  const bad = '--tls-cert "/x.pem" cannot be read: no such file';
  expect(
    await tlsReloadError(() => {
      throw new Error(bad);
    }),
  ).toBe(bad);
  expect(await tlsReloadError(() => Promise.reject(new Error(bad)))).toBe(bad);
});

test("the outcome is logged once: info when reloaded, error naming the file when not", async () => {
  const ok = recordingLog();
  await reloadTlsLogged(async () => {}, ok.log);
  expect(ok.lines).toEqual([["info", ["tls certificate reloaded"]]]);

  const failed = recordingLog();
  await reloadTlsLogged(() => Promise.reject(new Error("bad file")), failed.log);
  expect(failed.lines).toEqual([
    ["error", [{ err: "bad file" }, "tls reload failed; keeping the old certificate"]],
  ]);
});

test("without a TLS listener there is nothing to reload and nothing is logged", async () => {
  const none = recordingLog();
  await reloadTlsLogged(undefined, none.log);
  expect(none.lines).toEqual([]);
});
