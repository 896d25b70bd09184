/**
 * POST /control/ready `{"ready": false|true}`: /readyz answers 503 and
 * echod_ready is 0 while echo goes on serving, so a test can watch a load
 * balancer fail over (agnhost's readiness switch). GET shows the switch.
 */
import type { ControlContext, Who } from "./context.ts";
import { json, problem, readObject } from "./respond.ts";

export async function handleReady(
  request: Request,
  ctx: ControlContext,
  who: Who,
): Promise<Response> {
  if (request.method === "GET" || request.method === "HEAD") return json({ ready: ctx.ready });
  const read = await readObject(request);
  if ("error" in read) {
    ctx.counts.invalid++;
    return read.error;
  }
  const { body } = read;
  const extra = Object.keys(body).find((key) => key !== "ready");
  if (extra !== undefined || typeof body.ready !== "boolean") {
    ctx.counts.invalid++;
    const key = extra ?? "ready";
    return problem(400, 'the body must be {"ready": true} or {"ready": false}', key, body[key]);
  }
  const before = ctx.ready;
  ctx.ready = body.ready;
  ctx.counts.changes.ready++;
  ctx.log.info({ who, what: "ready", before, after: ctx.ready }, "control change");
  return json({ ready: ctx.ready });
}
