import type { EmulatorContext } from "./context";
import { codeError } from "./errors";
import type { ApiRequest, ApiResponse, Route, Router } from "./http";
import { newUuid } from "./ids";

/** FunctionGraph (`/v2/{project_id}/fgs/...`): asynchronous invoke; events are kept on the function. */

export function createFunctionGraphRouter(ctx: EmulatorContext): Router {
  return (method, params): Route | undefined => {
    const [fgs, functions, functionUrn, action, extra] = params;
    if (method !== "POST" || fgs !== "fgs" || functions !== "functions") return undefined;
    if (!functionUrn || action !== "invocations-async" || extra !== undefined) return undefined;
    return { handle: (req) => invokeAsync(ctx, functionUrn, req) };
  };
}

function invokeAsync(ctx: EmulatorContext, functionUrn: string, req: ApiRequest): ApiResponse {
  const fn = ctx.world.functions.get(functionUrn);
  if (!fn) throw codeError(404, "FSS.0404", "function not found");
  const requestId = newUuid();
  fn.invocations.push({
    request_id: requestId,
    body: req.jsonError ? req.rawText : req.body,
    time: ctx.clock.nowIso(),
  });
  return { status: 202, body: { request_id: requestId } };
}
