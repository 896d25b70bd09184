/**
 * The control API's routes on the admin port (docs/control-api.md), on only
 * with --control: every request passes the token check first (none is
 * needed on a loopback admin address), then goes to its handler. A refused
 * request is counted and logged at most once a second.
 */

import type { Logger } from "../../log.ts";
import { createLimitedWarning } from "../../log-limit.ts";
import type { RuntimeControl } from "../../runtime/control.ts";
import { createTokenCheck } from "./auth.ts";
import type { ControlContext } from "./context.ts";
import { type ControlCounts, createControlCounts } from "./counts.ts";
import { handleFaults } from "./faults.ts";
import { handleListeners } from "./listeners.ts";
import { handleReady } from "./ready.ts";
import { json, problem } from "./respond.ts";

export interface ControlRoutes {
  /** The answer to a control API request, or null when `path` is not one of its paths. */
  handle(request: Request, path: string, who: string): Promise<Response> | null;
  /** False while POST /control/ready set it so. */
  ready(): boolean;
  readonly counts: ControlCounts;
}

export function isControlPath(path: string): boolean {
  return path === "/faults" || path === "/control" || path.startsWith("/control/");
}

export function createControlRoutes(
  control: RuntimeControl,
  log: Logger,
  token: string | null,
): ControlRoutes {
  const ctx: ControlContext = { control, log, counts: createControlCounts(), ready: true };
  const authorized = createTokenCheck(token);
  const refused = createLimitedWarning(
    log,
    "control API: requests without the right token",
    "refused",
  );

  const route = async (request: Request, path: string, who: string): Promise<Response> => {
    if (!authorized(request)) {
      ctx.counts.unauthorized++;
      refused({ who, path });
      return json({ error: "unauthorized" }, 401, { "www-authenticate": 'Bearer realm="echod"' });
    }
    const method = request.method;
    if (path === "/faults") {
      if (!["GET", "HEAD", "PUT", "PATCH"].includes(method)) return notAllowed("GET, PUT, PATCH");
      return handleFaults(request, ctx, who);
    }
    if (path === "/control/ready") {
      if (!["GET", "HEAD", "POST"].includes(method)) return notAllowed("GET, POST");
      return handleReady(request, ctx, who);
    }
    const answer = await handleListeners(request, path, ctx, who);
    if (answer !== null) return answer;
    if (path.startsWith("/control/listeners")) {
      return path === "/control/listeners" ? notAllowed("GET") : notFoundOrPost(path);
    }
    return problem(404, "not found");
  };

  return {
    handle: (request, path, who) => (isControlPath(path) ? route(request, path, who) : null),
    ready: () => ctx.ready,
    counts: ctx.counts,
  };
}

function notAllowed(allow: string): Response {
  return json({ error: "method not allowed" }, 405, { allow });
}

function notFoundOrPost(path: string): Response {
  return /^\/control\/listeners\/[^/]+\/(down|up)$/.test(path)
    ? notAllowed("POST")
    : problem(404, "not found");
}
