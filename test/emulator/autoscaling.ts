import { groupTags, queryByTag } from "./autoscaling-tags";
import type { EmulatorContext } from "./context";
import { asError } from "./errors";
import { type ApiRequest, type ApiResponse, queryValue, type Route, type Router } from "./http";
import type { AsInstance, HangingEntry } from "./model";
import { batchInstanceAction } from "./standby";
import { isoSeconds, type ScalingGroup } from "./state";
import { isRecord } from "./validators";

/**
 * Auto Scaling v1 (`/autoscaling-api/v1/{project_id}/...`): instances of a group, hanging lifecycle
 * actions, the lifecycle callback, the hook list, and group tags (query by tag, one group's tags).
 */

const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 100;
const EXTEND_MS = 60 * 60 * 1000;
const RESULTS = ["CONTINUE", "ABANDON", "EXTEND"];

export function createAutoScalingRouter(ctx: EmulatorContext): Router {
  return (method, params): Route | undefined => {
    const [resource, groupId, action, extra] = params;
    if (!groupId || extra !== undefined) return undefined;
    if (resource === "scaling_group_tag") {
      if (method === "POST" && groupId === "resource_instances" && action === "action") {
        return { handle: (req) => queryByTag(ctx, req) };
      }
      if (method === "GET" && action === "tags") return { handle: () => groupTags(ctx, groupId) };
      return undefined;
    }
    if (method === "GET" && action === "list") {
      if (resource === "scaling_group_instance") return { handle: (req) => listInstances(ctx, groupId, req) };
      if (resource === "scaling_instance_hook") return { handle: (req) => listHanging(ctx, groupId, req) };
      if (resource === "scaling_lifecycle_hook") return { handle: () => listHooks(ctx, groupId) };
    }
    if (method === "POST" && resource === "scaling_group_instance" && action === "action") {
      return { handle: (req) => batchInstanceAction(ctx, group(ctx, groupId), req) };
    }
    if (method === "PUT" && resource === "scaling_instance_hook" && action === "callback") {
      return { handle: (req) => callback(ctx, groupId, req) };
    }
    return undefined;
  };
}

function group(ctx: EmulatorContext, id: string): ScalingGroup {
  const found = ctx.world.scalingGroups.get(id);
  if (!found) throw asError(404, "AS.2007", "The AS group does not exist.");
  return found;
}

function invalidParam(name: string) {
  return asError(400, "AS.4001", `The value of parameter ${name} is invalid.`);
}

function intParam(req: ApiRequest, name: string, fallback: number, min: number, max: number): number {
  const text = queryValue(req.query, name);
  if (text === undefined || text === "") return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) throw invalidParam(name);
  return value;
}

function listInstances(ctx: EmulatorContext, groupId: string, req: ApiRequest): ApiResponse {
  const g = group(ctx, groupId);
  const startNumber = intParam(req, "start_number", 0, 0, Number.MAX_SAFE_INTEGER);
  const limit = Math.min(
    intParam(req, "limit", DEFAULT_LIMIT, 0, MAX_LIMIT),
    ctx.options.pageSizeCap ?? MAX_LIMIT,
  );
  const state = queryValue(req.query, "life_cycle_state");
  const health = queryValue(req.query, "health_status");
  const all = g.instances.list();
  const matching =
    state === undefined && health === undefined
      ? all
      : all.filter(
          (i) =>
            (state === undefined || i.life_cycle_state === state) &&
            (health === undefined || i.health_status === health),
        );
  return {
    status: 200,
    body: {
      total_number: matching.length,
      start_number: startNumber,
      limit,
      scaling_group_instances: matching
        .slice(startNumber, startNumber + limit)
        .map((i) => instanceBody(g, i)),
    },
  };
}

function instanceBody(g: ScalingGroup, i: AsInstance): Record<string, unknown> {
  return {
    instance_id: i.instance_id,
    instance_name: i.instance_name,
    scaling_group_id: g.scaling_group_id,
    scaling_group_name: g.scaling_group_name,
    life_cycle_state: i.life_cycle_state,
    health_status: i.health_status,
    scaling_configuration_id: g.scaling_configuration_id,
    scaling_configuration_name: g.scaling_configuration_name,
    create_time: i.create_time,
    protect_from_scaling_down: i.protect_from_scaling_down,
  };
}

function listHanging(ctx: EmulatorContext, groupId: string, req: ApiRequest): ApiResponse {
  const g = group(ctx, groupId);
  const instanceId = queryValue(req.query, "instance_id");
  const entries = g.hanging.filter((h) => instanceId === undefined || h.instance_id === instanceId);
  return {
    status: 200,
    body: { instance_hanging_info: entries.map((h) => ({ ...h, scaling_group_id: g.scaling_group_id })) },
  };
}

function listHooks(ctx: EmulatorContext, groupId: string): ApiResponse {
  const g = group(ctx, groupId);
  return { status: 200, body: { lifecycle_hooks: g.lifecycle_hooks } };
}

function callback(ctx: EmulatorContext, groupId: string, req: ApiRequest): ApiResponse {
  const g = group(ctx, groupId);
  if (req.jsonError || !isRecord(req.body)) throw invalidParam("body");
  const {
    lifecycle_action_result: result,
    lifecycle_action_key: key,
    instance_id,
    lifecycle_hook_name,
  } = req.body;
  if (result === undefined || result === null || result === "") {
    throw asError(400, "AS.7039", "The lifecycle action result of the callback is empty.");
  }
  if (typeof result !== "string" || !RESULTS.includes(result)) {
    throw asError(400, "AS.7034", "Invalid lifecycle action result of the callback.");
  }
  const hasKey = typeof key === "string" && key !== "";
  const hasPair =
    typeof instance_id === "string" &&
    instance_id !== "" &&
    typeof lifecycle_hook_name === "string" &&
    lifecycle_hook_name !== "";
  if (!hasKey && !hasPair) throw asError(400, "AS.7040", "The lifecycle hook callback object is empty.");
  const entry = g.hanging.find((h) =>
    hasKey
      ? h.lifecycle_action_key === key
      : h.instance_id === instance_id && h.lifecycle_hook_name === lifecycle_hook_name,
  );
  if (!entry) throw asError(400, "AS.7042", "The lifecycle hook callback object does not exist");
  if (result === "EXTEND") {
    entry.timeout = isoSeconds(Date.parse(entry.timeout) + EXTEND_MS);
  } else {
    completeHanging(ctx, g, entry, result);
  }
  return { status: 204 };
}

/** Ends a hanging action; once an instance has none left, it moves on as AS would. */
export function completeHanging(
  ctx: EmulatorContext,
  g: ScalingGroup,
  entry: HangingEntry,
  result: string,
): void {
  g.hanging = g.hanging.filter((h) => h !== entry);
  if (g.hanging.some((h) => h.instance_id === entry.instance_id)) return;
  const instance = g.instances.get(entry.instance_id);
  if (!instance) return;
  if (instance.life_cycle_state === "PENDING_WAIT") {
    if (result === "CONTINUE") instance.life_cycle_state = "INSERVICE";
    else g.instances.delete(instance.instance_id);
  } else if (instance.life_cycle_state === "REMOVING_WAIT") {
    g.instances.delete(instance.instance_id);
    ctx.world.servers.delete(instance.instance_id);
  }
}
