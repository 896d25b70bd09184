/**
 * GET /control/listeners, POST /control/listeners/{name}/down and /up: a
 * listener taken down stops accepting (new connections are refused), then
 * binds the same port again; its open connections go on either way.
 */
import type { ControlContext, Who } from "./context.ts";
import { json, problem } from "./respond.ts";

const LISTENER_PATH = /^\/control\/listeners\/([^/]+)\/(down|up)$/;

export function listenersView(ctx: ControlContext): { listeners: Record<string, unknown> } {
  const listeners: Record<string, unknown> = {};
  for (const [name, state] of Object.entries(ctx.control.listeners())) {
    listeners[name] = { accepting: state.accepting };
  }
  return { listeners };
}

/** Null when `path` is not a listener route. */
export async function handleListeners(
  request: Request,
  path: string,
  ctx: ControlContext,
  who: Who,
): Promise<Response | null> {
  if (path === "/control/listeners") {
    if (request.method !== "GET" && request.method !== "HEAD") return null;
    return json(listenersView(ctx));
  }
  const match = LISTENER_PATH.exec(path);
  if (match === null) return null;
  if (request.method !== "POST") return null;
  const name = decodeName(match[1] as string);
  const accepting = match[2] === "up";
  const all = ctx.control.listeners();
  const state = Object.hasOwn(all, name) ? all[name] : undefined;
  if (state === undefined) {
    ctx.counts.invalid++;
    return problem(404, `no stream listener named ${name}`, "listener", name);
  }
  if (state.accepting !== accepting) {
    try {
      await ctx.control.setAccepting(name, accepting);
    } catch (error) {
      ctx.counts.invalid++;
      const message = (error as Error).message;
      ctx.log.error({ who, listener: name, err: message }, "control change failed");
      return problem(409, message, "listener", name);
    }
  }
  ctx.counts.changes[accepting ? "listener_up" : "listener_down"]++;
  ctx.log.info(
    { who, what: `listener ${name} ${match[2]}`, before: state.accepting, after: accepting },
    "control change",
  );
  return json({ listener: name, accepting });
}

/** The listener name in the path; a malformed escape (`%E0%A4%A`) is kept as is, so it names no listener. */
function decodeName(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
