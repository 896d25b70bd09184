/**
 * Opens a page in Debian's headless Chromium and reports what a person
 * would see go wrong: console errors, uncaught exceptions, failed loads,
 * and, for every <canvas>, how many distinct colours its pixels have (one
 * colour means nothing was drawn). Driven over the DevTools protocol with
 * Bun's own WebSocket, no browser package. The flags are those this
 * machine needs (/work/.library/env/machines/node.md): no sandbox as root,
 * no GPU, and no background networking on a closed network; a fresh
 * profile each time, removed afterwards.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface PageReport {
  readonly errors: readonly string[];
  /** Per canvas, in document order: its id and the distinct colours of its pixels. */
  readonly canvases: readonly {
    readonly id: string;
    readonly colours: number;
    readonly width: number;
  }[];
}

const CANVAS_CHECK = `[...document.querySelectorAll("canvas")].map((c) => {
  const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
  const seen = new Set();
  for (let i = 0; i < d.length && seen.size < 64; i += 4) seen.add((d[i] << 24) | (d[i + 1] << 16) | (d[i + 2] << 8) | d[i + 3]);
  return { id: c.id, colours: seen.size, width: c.width };
})`;

export async function openInChromium(url: string, timeoutMs = 30_000): Promise<PageReport> {
  const profile = mkdtempSync(join(tmpdir(), "echod-chromium-"));
  const proc = Bun.spawn(
    [
      "chromium",
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      `--user-data-dir=${profile}`,
      "--remote-debugging-address=127.0.0.1",
      "--remote-debugging-port=0",
      "about:blank",
    ],
    { stdout: "ignore", stderr: "pipe" },
  );
  const deadline = setTimeout(() => proc.kill("SIGKILL"), timeoutMs);
  try {
    const port = await devtoolsPort(proc.stderr);
    const pages = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as {
      type: string;
      webSocketDebuggerUrl: string;
    }[];
    const page = pages.find((p) => p.type === "page");
    if (!page) throw new Error("chromium opened no page");
    return await inspect(page.webSocketDebuggerUrl, url);
  } finally {
    clearTimeout(deadline);
    proc.kill("SIGKILL");
    await proc.exited;
    rmSync(profile, { recursive: true, force: true });
  }
}

async function devtoolsPort(stderr: ReadableStream<Uint8Array>): Promise<number> {
  const reader = stderr.getReader();
  let text = "";
  for (;;) {
    const match = /DevTools listening on ws:\/\/127\.0\.0\.1:(\d+)\//.exec(text);
    if (match) {
      reader.releaseLock();
      return Number(match[1]);
    }
    const { value, done } = await reader.read();
    if (done) throw new Error(`chromium exited before listening: ${text}`);
    text += new TextDecoder().decode(value);
  }
}

function inspect(wsUrl: string, url: string): Promise<PageReport> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl);
    const errors: string[] = [];
    const waiting = new Map<number, (result: unknown) => void>();
    let id = 0;
    const send = (method: string, params: Record<string, unknown> = {}) =>
      new Promise<unknown>((done) => {
        waiting.set(++id, done);
        ws.send(JSON.stringify({ id, method, params }));
      });
    let loaded = () => {};
    const load = new Promise<void>((done) => {
      loaded = done;
    });
    ws.onerror = () => reject(new Error("DevTools connection failed"));
    ws.onmessage = (event) => {
      const m = JSON.parse(String(event.data));
      if (m.id !== undefined) waiting.get(m.id)?.(m.result);
      else if (m.method === "Page.loadEventFired") loaded();
      else if (m.method === "Runtime.exceptionThrown")
        errors.push(
          `exception: ${m.params.exceptionDetails?.exception?.description ?? m.params.exceptionDetails?.text}`,
        );
      else if (
        m.method === "Runtime.consoleAPICalled" &&
        ["error", "assert"].includes(m.params.type)
      )
        errors.push(
          `console.${m.params.type}: ${m.params.args.map((a: { value?: unknown; description?: string }) => a.value ?? a.description).join(" ")}`,
        );
      else if (m.method === "Log.entryAdded" && m.params.entry.level === "error")
        errors.push(`log: ${m.params.entry.text} ${m.params.entry.url ?? ""}`);
    };
    ws.onopen = async () => {
      try {
        await send("Runtime.enable");
        await send("Log.enable");
        await send("Page.enable");
        await send("Page.navigate", { url });
        await load;
        // Let anything scheduled after load run (and fail) too.
        await Bun.sleep(300);
        const result = (await send("Runtime.evaluate", {
          expression: CANVAS_CHECK,
          returnByValue: true,
        })) as {
          result: { value: PageReport["canvases"] };
        };
        ws.close();
        resolve({ errors, canvases: result.result.value });
      } catch (error) {
        reject(error);
      }
    };
  });
}
