/**
 * GET, PUT and PATCH /faults: every stream listener's faults, keyed by
 * listener name and by flag, in the flags' units. PUT sets a listener's
 * whole set (keys left out go back to no fault), PATCH only the keys given;
 * either for one `listener` or, without one, for all. Every value goes
 * through its flag's parser and the cross-option checks before anything
 * changes; scope `new` (the default) reaches new connections, `all` the
 * open ones too, from their next chunk.
 */
import { checkFaults } from "../../config.ts";
import { EchodError } from "../../errors.ts";
import {
  type FaultSettings,
  formatFaults,
  NO_FAULTS,
  readFaults,
} from "../../options/fault-settings.ts";
import { OPTION_TABLE } from "../../options.ts";
import type { FaultScope } from "../../runtime/control.ts";
import type { ControlContext, Who } from "./context.ts";
import { json, problem, readObject } from "./respond.ts";

const BODY_KEYS = new Set(["listener", "scope", "faults"]);
const SCOPES: readonly FaultScope[] = ["new", "all"];

/** The answer of GET /faults, and the shape --faults FILE reads. */
export function faultsView(ctx: ControlContext): { listeners: Record<string, unknown> } {
  const listeners: Record<string, unknown> = {};
  for (const [name, state] of Object.entries(ctx.control.listeners())) {
    listeners[name] = formatFaults(state.faults);
  }
  return { listeners };
}

export async function handleFaults(
  request: Request,
  ctx: ControlContext,
  who: Who,
): Promise<Response> {
  if (request.method === "GET" || request.method === "HEAD") return json(faultsView(ctx));
  const read = await readObject(request);
  if ("error" in read) return invalid(ctx, read.error);
  const { body } = read;
  for (const key of Object.keys(body)) {
    if (!BODY_KEYS.has(key)) {
      return invalid(
        ctx,
        problem(400, `unknown key ${key} (listener, scope, faults)`, key, body[key]),
      );
    }
  }
  const scope = body.scope ?? "new";
  if (!SCOPES.includes(scope as FaultScope)) {
    return invalid(ctx, problem(400, "scope must be new or all", "scope", scope));
  }
  const now = ctx.control.listeners();
  const listener = body.listener;
  if (listener !== undefined && (typeof listener !== "string" || !Object.hasOwn(now, listener))) {
    const names = Object.keys(now).join(", ");
    return invalid(
      ctx,
      problem(400, `no stream listener of that name (${names})`, "listener", listener),
    );
  }
  const input = body.faults;
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    return invalid(ctx, problem(400, "faults must be an object of fault flags", "faults", input));
  }
  const targets = listener === undefined ? Object.keys(now) : [listener];
  const changes: Record<string, FaultSettings> = {};
  for (const name of targets) {
    const base = request.method === "PUT" ? NO_FAULTS : (now[name]?.faults ?? NO_FAULTS);
    const next = validate(input as Record<string, unknown>, base, name);
    if (next instanceof Response) return invalid(ctx, next);
    changes[name] = next;
  }
  try {
    await ctx.control.setFaults(changes, scope as FaultScope);
  } catch (error) {
    ctx.log.error({ who, err: (error as Error).message }, "control change failed");
    return problem(503, `not every worker applied the change: ${(error as Error).message}`);
  }
  ctx.counts.changes.faults++;
  const before = Object.fromEntries(
    targets.map((n) => [n, formatFaults(now[n]?.faults ?? NO_FAULTS)]),
  );
  const after = Object.fromEntries(targets.map((n) => [n, formatFaults(changes[n] ?? NO_FAULTS)]));
  ctx.log.info({ who, what: `${request.method} /faults`, scope, before, after }, "control change");
  return json({ ...faultsView(ctx), changed: targets, scope });
}

/** The settings `input` makes of `base`, or a 400 naming the first bad key and its value. */
function validate(
  input: Record<string, unknown>,
  base: FaultSettings,
  listener: string,
): FaultSettings | Response {
  let next = base;
  for (const [flag, value] of Object.entries(input)) {
    try {
      next = readFaults({ [flag]: value }, next, "");
    } catch (error) {
      if (!(error instanceof EchodError)) throw error;
      return problem(400, error.message, flag, value);
    }
  }
  let named: string | undefined;
  try {
    checkFaults(next, (key) => {
      named ??= OPTION_TABLE[key].flag;
      return OPTION_TABLE[key].flag;
    });
  } catch (error) {
    if (!(error instanceof EchodError)) throw error;
    const flag = named ?? "faults";
    const value = input[flag] ?? formatFaults(next)[flag];
    return problem(400, `${error.message} (listener ${listener})`, flag, value);
  }
  return next;
}

function invalid(ctx: ControlContext, response: Response): Response {
  ctx.counts.invalid++;
  return response;
}
