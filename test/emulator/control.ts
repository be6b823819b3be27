import { completeHanging } from "./autoscaling";
import { applyOptions, currentOptions, type EmulatorContext, OptionsError } from "./context";
import { FaultError } from "./faults";
import { type ApiResponse, decodeSegment } from "./http";
import type { GroupTag, MemberHealth } from "./model";
import { setScalingActivity } from "./standby";
import {
  buildWorld,
  emptyWorld,
  groupTagsSchema,
  hangingProblem,
  hangingWithDefaults,
  instanceWithDefaults,
  parseHangingInput,
  parseInstanceInput,
  StateError,
  type StateInput,
  snapshot,
} from "./state";
import type {
  CallLogEntry,
  EmulatorControl,
  Fault,
  HangingHookInput,
  InstanceUpsert,
  MemberHealthUpdate,
  OptionsUpdate,
} from "./types";
import { isIpv4, isRecord, unknownKeysProblem } from "./validators";

/** A control call that cannot be carried out; `status` is what the HTTP control API answers. */
export class ControlError extends Error {
  override name = "ControlError";

  constructor(
    message: string,
    readonly status: 400 | 404 = 400,
  ) {
    super(message);
  }
}

const HEALTH: readonly string[] = ["healthy", "unhealthy", "unknown"];
const MEMBER_HEALTH_KEYS = ["instance_id", "vpc_channel_id", "member_id", "ecs_id", "host", "health_status"];
const SCALING_ACTIVITY_KEYS = ["scaling_group_id", "active"];
const HOOK_TIMEOUT_KEYS = ["scaling_group_id", "lifecycle_action_key"];

function refuseUnknownKeys(body: Record<string, unknown>, known: readonly string[], what: string): void {
  const problem = unknownKeysProblem(body, known, what);
  if (problem) throw new ControlError(problem);
}

/** The in-process control object; the HTTP control API below is a thin wrapper over it. */
export function createControl(ctx: EmulatorContext): EmulatorControl {
  const loadDefaults = () => ({ clock: ctx.clock, defaultMemberHealth: ctx.options.defaultMemberHealth });
  const scalingGroup = (id: string) => {
    const group = ctx.world.scalingGroups.get(id);
    if (!group) throw new ControlError(`scaling group ${id} does not exist`, 404);
    return group;
  };

  return {
    load(state: StateInput) {
      ctx.world = buildWorld(state, loadDefaults());
    },
    state: () => snapshot(ctx.world),
    reset() {
      ctx.world = emptyWorld();
      ctx.faults.clear();
      ctx.afterCalls = [];
      ctx.log.clear();
    },
    addFault(fault: Fault | Fault[]) {
      ctx.faults.add(fault);
    },
    clearFaults: () => ctx.faults.clear(),
    calls: () => ctx.log.list(),
    clearCalls: () => ctx.log.clear(),

    setMemberHealth(update: MemberHealthUpdate) {
      if (!isRecord(update)) throw new ControlError("member health update must be an object");
      refuseUnknownKeys(update, MEMBER_HEALTH_KEYS, "member health");
      const { instance_id, vpc_channel_id, member_id, ecs_id, host, health_status } = update;
      if (!HEALTH.includes(health_status))
        throw new ControlError(`health_status must be one of ${HEALTH.join(", ")}`);
      const channel = ctx.world.gateways.get(instance_id)?.channels.get(vpc_channel_id);
      if (!channel) throw new ControlError(`channel ${instance_id}/${vpc_channel_id} does not exist`, 404);
      const selected = channel.members
        .list()
        .filter(
          (m) =>
            (member_id === undefined || m.id === member_id) &&
            (ecs_id === undefined || m.ecs_id === ecs_id) &&
            (host === undefined || m.host === host),
        );
      if (selected.length === 0) throw new ControlError("no member matches the selection", 404);
      for (const m of selected) m.health_status = health_status as MemberHealth;
    },

    setInstance(upsert: InstanceUpsert) {
      if (!isRecord(upsert)) throw new ControlError("instance must be an object");
      const { scaling_group_id, ipv4, ...fields } = upsert;
      if (typeof scaling_group_id !== "string") throw new ControlError("scaling_group_id is required");
      if (ipv4 !== undefined && !(typeof ipv4 === "string" && isIpv4(ipv4))) {
        throw new ControlError("ipv4 must be an IPv4 address");
      }
      const group = scalingGroup(scaling_group_id);
      const input = parseInstanceInput(fields);
      const instance = instanceWithDefaults(input, group.instances.get(input.instance_id), ctx.clock);
      group.instances.put(instance);
      if (ipv4 !== undefined) {
        const server = ctx.world.servers.get(instance.instance_id);
        ctx.world.servers.set(instance.instance_id, {
          id: instance.instance_id,
          name: server?.name ?? instance.instance_name,
          ipv4,
          status: server?.status ?? "ACTIVE",
        });
      }
    },

    removeInstance(scalingGroupId: string, instanceId: string) {
      const group = scalingGroup(scalingGroupId);
      if (!group.instances.delete(instanceId)) {
        throw new ControlError(`instance ${instanceId} is not in scaling group ${scalingGroupId}`, 404);
      }
      group.hanging = group.hanging.filter((h) => h.instance_id !== instanceId);
    },

    addHangingHook(entry: HangingHookInput) {
      if (!isRecord(entry)) throw new ControlError("hanging entry must be an object");
      const { scaling_group_id, ...fields } = entry;
      if (typeof scaling_group_id !== "string") throw new ControlError("scaling_group_id is required");
      const group = scalingGroup(scaling_group_id);
      const input = parseHangingInput(fields);
      const problem = hangingProblem(group, input);
      if (problem) throw new ControlError(problem);
      const hanging = hangingWithDefaults(group, input);
      group.hanging.push(hanging);
      return structuredClone(hanging);
    },

    timeOutHook(scalingGroupId: string, lifecycleActionKey: string) {
      const group = scalingGroup(scalingGroupId);
      const entry = group.hanging.find((h) => h.lifecycle_action_key === lifecycleActionKey);
      if (!entry) {
        throw new ControlError(
          `no hanging lifecycle action ${lifecycleActionKey} in scaling group ${scalingGroupId}`,
          404,
        );
      }
      completeHanging(ctx, group, entry, entry.default_result);
    },

    setGroupTags(scalingGroupId: string, tags: GroupTag[]) {
      const group = scalingGroup(scalingGroupId);
      const parsed = groupTagsSchema.safeParse(tags);
      if (!parsed.success) {
        throw new ControlError(`invalid tags: ${parsed.error.issues.map((i) => i.message).join("; ")}`);
      }
      group.tags = parsed.data;
    },

    setScalingActivity(scalingGroupId: string, active: boolean) {
      if (typeof active !== "boolean") throw new ControlError("active must be true or false");
      setScalingActivity(scalingGroup(scalingGroupId), active);
    },

    afterNextCall(match: { method: string; path: string }, action: (call: CallLogEntry) => unknown) {
      ctx.afterCalls.push({
        method: match.method.toUpperCase(),
        pathRe: new RegExp(match.path),
        run: action,
      });
    },

    setOptions(update: OptionsUpdate) {
      if (!isRecord(update)) throw new ControlError("options must be an object");
      applyOptions(ctx.options, update);
    },

    options: () => currentOptions(ctx.options),
  };
}

/**
 * The HTTP control API under `/_emulator` (no signature). `path` is what follows the prefix.
 * Bad input answers 400 `{"error": "..."}`, unknown things 404.
 */
export function handleControlRequest(
  control: EmulatorControl,
  method: string,
  path: string,
  raw: Buffer,
): ApiResponse {
  let body: unknown;
  try {
    body = raw.length === 0 ? undefined : JSON.parse(raw.toString("utf8"));
  } catch {
    return { status: 400, body: { error: "control request body must be JSON" } };
  }
  try {
    return dispatch(control, method, path, body);
  } catch (error) {
    if (error instanceof ControlError) return { status: error.status, body: { error: error.message } };
    if (error instanceof StateError || error instanceof FaultError || error instanceof OptionsError) {
      return { status: 400, body: { error: error.message } };
    }
    throw error;
  }
}

const NO_CONTENT: ApiResponse = { status: 204 };

function dispatch(control: EmulatorControl, method: string, path: string, body: unknown): ApiResponse {
  const route = `${method} ${path}`;
  switch (route) {
    case "POST /state":
      control.load(body as StateInput);
      return NO_CONTENT;
    case "GET /state":
      return { status: 200, body: control.state() };
    case "POST /reset":
      control.reset();
      return NO_CONTENT;
    case "POST /faults":
      control.addFault(body as Fault | Fault[]);
      return NO_CONTENT;
    case "DELETE /faults":
      control.clearFaults();
      return NO_CONTENT;
    case "GET /calls":
      return { status: 200, body: control.calls() };
    case "DELETE /calls":
      control.clearCalls();
      return NO_CONTENT;
    case "POST /member-health":
      control.setMemberHealth(body as MemberHealthUpdate);
      return NO_CONTENT;
    case "POST /instances":
      control.setInstance(body as InstanceUpsert);
      return NO_CONTENT;
    case "POST /hanging":
      return { status: 200, body: control.addHangingHook(body as HangingHookInput) };
    case "POST /scaling-activity": {
      const fields = isRecord(body) ? body : {};
      refuseUnknownKeys(fields, SCALING_ACTIVITY_KEYS, "scaling activity");
      const { scaling_group_id, active } = fields;
      control.setScalingActivity(String(scaling_group_id), active as boolean);
      return NO_CONTENT;
    }
    case "POST /hook-timeout": {
      const fields = isRecord(body) ? body : {};
      refuseUnknownKeys(fields, HOOK_TIMEOUT_KEYS, "hook timeout");
      control.timeOutHook(String(fields.scaling_group_id), String(fields.lifecycle_action_key));
      return NO_CONTENT;
    }
    case "POST /options":
      control.setOptions(body as OptionsUpdate);
      return NO_CONTENT;
    case "GET /options":
      return { status: 200, body: control.options() };
  }
  const tags = /^\/scaling-groups\/([^/]+)\/tags$/.exec(path);
  if (method === "PUT" && tags) {
    control.setGroupTags(decodeSegment(tags[1] ?? ""), body as GroupTag[]);
    return NO_CONTENT;
  }
  const instance = /^\/instances\/([^/]+)\/([^/]+)$/.exec(path);
  if (method === "DELETE" && instance) {
    control.removeInstance(decodeSegment(instance[1] ?? ""), decodeSegment(instance[2] ?? ""));
    return NO_CONTENT;
  }
  return { status: 404, body: { error: `unknown control call ${route}` } };
}
