import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { headerValue, verifySignature } from "./auth";
import { createAutoScalingRouter } from "./autoscaling";
import type { EmulatorContext } from "./context";
import { handleControlRequest } from "./control";
import { createEcsRouter } from "./ecs";
import { ApiError, apigErrors, authError, routeNotFound } from "./errors";
import { applyFault, isDelayOnly } from "./faults";
import { createFunctionGraphRouter } from "./functiongraph";
import { createGatewayRouter } from "./gateway";
import {
  type ApiRequest,
  type ApiResponse,
  decodeSegment,
  parseQueryPairs,
  queryRecord,
  type Route,
  type Router,
  readBody,
  sleep,
  writeResponse,
} from "./http";
import { newHexId } from "./ids";
import { createSmnRouter } from "./smn";
import type { CallLogEntry, EmulatorControl, Service } from "./types";

/**
 * The HTTP front. Control calls (`/_emulator/...`) go straight to the control API. Every other call is
 * an API call: logged on arrival, routed, authenticated, matched against faults, delayed by the
 * configured latency (refusals included), serialised per channel when it is a gateway write, handled.
 */

const CONTROL_PREFIX = "/_emulator";

interface Target {
  service: Service | "unknown";
  projectId: string | undefined;
  params: string[];
}

export function createEmulatorServer(ctx: EmulatorContext, control: EmulatorControl): Server {
  const routers: Record<Service, Router> = {
    gateway: createGatewayRouter(ctx),
    as: createAutoScalingRouter(ctx),
    ecs: createEcsRouter(ctx),
    smn: createSmnRouter(ctx),
    fgs: createFunctionGraphRouter(ctx),
  };
  return createServer((req, res) => {
    handle(ctx, control, routers, req, res).catch((error: unknown) => {
      console.error("[emulator] unexpected error", error);
      if (!res.headersSent) writeResponse(res, { status: 500, body: { error: String(error) } }, newHexId());
    });
  });
}

async function handle(
  ctx: EmulatorContext,
  control: EmulatorControl,
  routers: Record<Service, Router>,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const body = await readBody(req);
  const url = req.url ?? "/";
  const q = url.indexOf("?");
  const rawPath = q < 0 ? url : url.slice(0, q);
  const rawQuery = q < 0 ? "" : url.slice(q + 1);
  const method = (req.method ?? "GET").toUpperCase();
  const requestId = newHexId();

  if (rawPath === CONTROL_PREFIX || rawPath.startsWith(`${CONTROL_PREFIX}/`)) {
    writeResponse(
      res,
      handleControlRequest(control, method, rawPath.slice(CONTROL_PREFIX.length), body),
      requestId,
    );
    return;
  }

  const rawText = body.toString("utf8");
  let parsed: unknown;
  let jsonError = false;
  if (rawText.trim() !== "") {
    try {
      parsed = JSON.parse(rawText);
    } catch {
      jsonError = true;
    }
  }
  const query = queryRecord(parseQueryPairs(rawQuery));
  const target = resolveTarget(rawPath);
  const entry = ctx.log.start({
    time: ctx.clock.instantIso(),
    method,
    path: rawPath,
    query,
    body: jsonError ? rawText : parsed,
    service: target.service,
    fault: false,
    headers: headerSummary(req),
  });
  const finish = (response: ApiResponse) => {
    entry.status = response.status;
    if (response.traps && response.traps.length > 0) entry.traps = response.traps;
    if (response.deleted) entry.deleted = response.deleted;
    writeResponse(res, response, requestId);
  };

  const route = target.service === "unknown" ? undefined : routers[target.service](method, target.params);
  if (!route) {
    await sleep(ctx.options.latencyMs);
    return finish(errorResponse(routeNotFound()));
  }
  const refusal = authenticate(ctx, req, { method, rawPath, rawQuery, body }, target);
  if (refusal) {
    await sleep(ctx.options.latencyMs);
    return finish(refusal);
  }

  const fault = ctx.faults.take(method, rawPath, target.service);
  if (fault) entry.fault = true;
  const apiRequest: ApiRequest = { params: target.params, query, body: parsed, rawText, jsonError };
  if (fault?.holdUntilOverlap) {
    return finish(await run(ctx, route, apiRequest, holdUntilOverlap(ctx, route, res)));
  }
  if (fault?.afterApply) {
    // The cloud did the work; only its answer is lost (or late, or garbled).
    const applied = await run(ctx, route, apiRequest);
    entry.appliedStatus = applied.status;
    if (applied.deleted) entry.deleted = applied.deleted;
    await sleep(fault.delayMs ?? 0);
    entry.status = await applyFault(fault, res, target.service, requestId, { req, query });
    return;
  }
  if (fault && !isDelayOnly(fault)) {
    await sleep(ctx.options.latencyMs + (fault.delayMs ?? 0));
    entry.status = await applyFault(fault, res, target.service, requestId, { req, query });
    if (fault.hang) entry.closed = ctx.clock.instantIso();
    return;
  }
  if (fault) await sleep(fault.delayMs ?? 0);

  const response = await run(ctx, route, apiRequest);
  const after = ctx.afterCalls.find((a) => a.method === method && a.pathRe.test(rawPath));
  if (after) {
    ctx.afterCalls = ctx.afterCalls.filter((a) => a !== after);
    // The answer is what the handler saw: the action must not show through live state objects.
    const answered = { ...response, body: structuredClone(response.body) };
    await after.run(structuredClone(entry));
    return finish(answered);
  }
  finish(response);
}

/** Resolves once a write to the route's channel has been refused for the overlap, or the client left. */
function holdUntilOverlap(
  ctx: EmulatorContext,
  route: Route,
  res: ServerResponse,
): Promise<void> | undefined {
  const key = route.channelKey;
  if (key === undefined) return undefined;
  return new Promise((resolve) => {
    const waiters = ctx.overlapWaiters.get(key) ?? [];
    waiters.push(resolve);
    ctx.overlapWaiters.set(key, waiters);
    res.once("close", () => resolve());
  });
}

/** Latency, per-channel write serialisation (holding the channel while `hold` lasts), then the handler. */
async function run(
  ctx: EmulatorContext,
  route: Route,
  req: ApiRequest,
  hold?: Promise<void>,
): Promise<ApiResponse> {
  const key = route.channelKey;
  if (key === undefined) {
    await sleep(ctx.options.latencyMs);
    return invoke(route, req);
  }
  if (ctx.busyChannels.has(key)) {
    await sleep(ctx.options.latencyMs);
    const held = ctx.overlapWaiters.get(key);
    ctx.overlapWaiters.delete(key);
    for (const release of held ?? []) release();
    return errorResponse(apigErrors.systemError());
  }
  ctx.busyChannels.add(key);
  try {
    await sleep(ctx.options.latencyMs);
    if (hold) await hold;
    return invoke(route, req);
  } finally {
    ctx.busyChannels.delete(key);
  }
}

function invoke(route: Route, req: ApiRequest): ApiResponse {
  try {
    return route.handle(req);
  } catch (error) {
    if (error instanceof ApiError) return errorResponse(error);
    throw error;
  }
}

function errorResponse(error: ApiError): ApiResponse {
  return { status: error.status, body: error.body, headers: error.headers };
}

/** Which service a path belongs to, its `{project_id}`, and the decoded segments after the prefix. */
function resolveTarget(rawPath: string): Target {
  const segments = rawPath.split("/").slice(1);
  if (segments.length > 1 && segments[segments.length - 1] === "") segments.pop();
  const [first, second, third] = segments;
  let service: Service | "unknown" = "unknown";
  let projectId: string | undefined;
  let rest: string[] = [];
  if (first === "autoscaling-api" && second === "v1") {
    service = "as";
    projectId = third;
    rest = segments.slice(3);
  } else if (first === "v1" && segments[2] === "cloudservers") {
    service = "ecs";
    projectId = second;
    rest = segments.slice(2);
  } else if (first === "v2") {
    projectId = second;
    rest = segments.slice(2);
    if (third === "apic" || third === "apigw") service = "gateway";
    else if (third === "notifications") service = "smn";
    else if (third === "fgs") service = "fgs";
  }
  return {
    service,
    projectId: projectId === undefined ? undefined : decodeSegment(projectId),
    params: rest.map(decodeSegment),
  };
}

/** Signature, security token, then X-Project-Id against the path and the emulator's project. */
function authenticate(
  ctx: EmulatorContext,
  req: IncomingMessage,
  received: { method: string; rawPath: string; rawQuery: string; body: Buffer },
  target: Target,
): ApiResponse | undefined {
  const outcome = verifySignature({ ...received, headers: req.headers }, ctx.options.credentials, Date.now());
  const denied = (status: 401 | 403, reason: string): ApiResponse => ({
    ...errorResponse(authError(target.service, status)),
    headers: { "X-Emulator-Auth-Error": reason.replace(/[^\x20-\x7e]/g, "?") },
  });
  if (!outcome.ok) return denied(401, outcome.reason);
  const projectHeader = headerValue(req.headers, "x-project-id");
  if (projectHeader === undefined) return denied(401, "X-Project-Id header is missing");
  if (!outcome.signedHeaders.has("x-project-id")) return denied(401, "X-Project-Id must be signed");
  if (projectHeader !== target.projectId) {
    return denied(401, `X-Project-Id ${projectHeader} differs from the path's project ${target.projectId}`);
  }
  if (target.projectId !== ctx.options.projectId) {
    return denied(403, `project ${target.projectId} is not this emulator's project ${ctx.options.projectId}`);
  }
  return undefined;
}

function headerSummary(req: IncomingMessage): CallLogEntry["headers"] {
  const projectId = headerValue(req.headers, "x-project-id");
  return {
    ...(projectId !== undefined && { "x-project-id": projectId }),
    ...(req.headers["x-security-token"] !== undefined && { "x-security-token": "<present>" as const }),
  };
}
