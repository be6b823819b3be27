import { z } from "zod";
import { ChannelStore } from "./channel";
import { SortedCollection } from "./collection";
import { type Clock, hashId, newUuid } from "./ids";
import {
  AS_HEALTH_STATES,
  type AsInstance,
  type ChannelState,
  type EmulatorState,
  type FunctionState,
  type GatewayKind,
  type GroupTag,
  type HangingEntry,
  LIFE_CYCLE_STATES,
  type LifecycleHook,
  type MemberGroupInfo,
  type MemberHealth,
  type ServerState,
  type TopicState,
  type VpcMemberInfo,
} from "./model";
import { isIpv4 } from "./validators";

const isoTime = z.string().refine((s) => !Number.isNaN(Date.parse(s)), "must be an ISO 8601 date-time");
const ipv4 = z.string().refine(isIpv4, "must be an IPv4 address");
const health = z.enum(["healthy", "unhealthy", "unknown"]);

const memberSchema = z.strictObject({
  id: z.string().min(1).optional(),
  host: z.string().max(64).optional(),
  weight: z.int().min(0).max(10000).optional(),
  is_backup: z.boolean().optional(),
  member_group_name: z.string().optional(),
  member_group_id: z.string().optional(),
  status: z.literal([1, 2]).optional(),
  port: z.int().min(0).max(65535).optional(),
  ecs_id: z.string().min(1).optional(),
  ecs_name: z.string().optional(),
  vpc_channel_id: z.string().optional(),
  create_time: isoTime.optional(),
  health_status: health.optional(),
});

const groupSchema = z.strictObject({
  member_group_name: z.string().min(1),
  member_group_id: z.string().min(1).optional(),
  member_group_remark: z.string().optional(),
  member_group_weight: z.int().min(0).max(100).optional(),
  create_time: isoTime.optional(),
  update_time: isoTime.optional(),
});

const healthConfigSchema = z.strictObject({
  protocol: z.string(),
  path: z.string().optional(),
  method: z.string().optional(),
  port: z.int().min(0).max(65535).optional(),
  threshold_normal: z.int().min(1).max(10),
  threshold_abnormal: z.int().min(1).max(10),
  time_interval: z.int().min(5).max(300),
  http_code: z.string().optional(),
  enable_client_ssl: z.boolean().optional(),
  status: z.int().optional(),
  timeout: z.int().min(2).max(30),
});

const channelSchema = z.strictObject({
  id: z.string().min(1).optional(),
  name: z.string().min(1).optional(),
  port: z.int().min(1).max(65535).optional(),
  balance_strategy: z.int().min(1).max(4).optional(),
  member_type: z.enum(["ecs", "ip"]).optional(),
  type: z.int().optional(),
  status: z.int().optional(),
  create_time: isoTime.optional(),
  vpc_health_config: healthConfigSchema.optional(),
  member_groups: z.array(groupSchema).optional(),
  members: z.array(memberSchema).optional(),
});

const gatewaySchema = z.strictObject({
  instance_id: z.string().min(1),
  kind: z.enum(["roma", "apig"]).optional(),
  channels: z.array(channelSchema).optional(),
});

const instanceSchema = z.strictObject({
  instance_id: z.string().min(1),
  instance_name: z.string().optional(),
  life_cycle_state: z.enum(LIFE_CYCLE_STATES).optional(),
  health_status: z.enum(AS_HEALTH_STATES).optional(),
  create_time: isoTime.optional(),
  protect_from_scaling_down: z.boolean().optional(),
});

const hookSchema = z.strictObject({
  lifecycle_hook_name: z.string().min(1),
  lifecycle_hook_type: z.enum(["INSTANCE_LAUNCHING", "INSTANCE_TERMINATING"]),
  default_result: z.enum(["ABANDON", "CONTINUE"]).optional(),
  default_timeout: z.int().min(60).max(86400).optional(),
  notification_topic_urn: z.string().optional(),
  notification_metadata: z.string().optional(),
  create_time: isoTime.optional(),
});

const hangingSchema = z.strictObject({
  instance_id: z.string().min(1),
  lifecycle_hook_name: z.string().min(1),
  lifecycle_action_key: z.string().min(1).optional(),
  lifecycle_hook_status: z.literal("HANGING").optional(),
  timeout: isoTime.optional(),
  default_result: z.enum(["ABANDON", "CONTINUE"]).optional(),
});

/** AS tag rules on create (AS API reference "Creating or Deleting Tags"). */
export const groupTagSchema = z.strictObject({
  key: z
    .string()
    .min(1)
    .max(36)
    .regex(/^[\p{Script=Han}A-Za-z0-9_-]+$/u, "tag keys are letters, digits, - and _"),
  value: z
    .string()
    .max(43)
    .regex(/^[\p{Script=Han}A-Za-z0-9._-]*$/u, "tag values are letters, digits, ., - and _"),
});

export const groupTagsSchema = z
  .array(groupTagSchema)
  .max(10, "at most 10 tags a group")
  .refine((tags) => new Set(tags.map((t) => t.key)).size === tags.length, "tag keys must be unique");

const scalingGroupSchema = z.strictObject({
  scaling_group_id: z.string().min(1),
  scaling_group_name: z.string().optional(),
  tags: groupTagsSchema.optional(),
  scaling_configuration_id: z.string().optional(),
  scaling_configuration_name: z.string().optional(),
  instances: z.array(instanceSchema).optional(),
  lifecycle_hooks: z.array(hookSchema).optional(),
  hanging: z.array(hangingSchema).optional(),
});

const serverSchema = z.strictObject({
  id: z.string().min(1),
  name: z.string().optional(),
  ipv4: ipv4.optional(),
  status: z.string().optional(),
  tags: z.record(z.string(), z.string()).optional(),
});

const topicSchema = z.strictObject({
  topic_urn: z.string().min(1),
  messages: z
    .array(
      z.strictObject({
        subject: z.string().optional(),
        message: z.string(),
        message_id: z.string().optional(),
        time: isoTime.optional(),
      }),
    )
    .optional(),
});

const functionSchema = z.strictObject({
  func_urn: z.string().min(1),
  invocations: z
    .array(
      z.strictObject({
        request_id: z.string().optional(),
        body: z.unknown().optional(),
        time: isoTime.optional(),
      }),
    )
    .optional(),
});

const stateSchema = z.strictObject({
  gateways: z.array(gatewaySchema).optional(),
  scaling_groups: z.array(scalingGroupSchema).optional(),
  servers: z.array(serverSchema).optional(),
  topics: z.array(topicSchema).optional(),
  functions: z.array(functionSchema).optional(),
});

/** What `load` accepts: the state model with every defaultable field optional. */
export type StateInput = z.input<typeof stateSchema>;
export type InstanceInput = z.input<typeof instanceSchema>;
export type HangingInput = z.input<typeof hangingSchema>;

export class StateError extends Error {
  override name = "StateError";
}

export interface Gateway {
  instance_id: string;
  kind: GatewayKind;
  channels: Map<string, ChannelStore>;
}

export interface ScalingGroup {
  scaling_group_id: string;
  scaling_group_name: string;
  scaling_configuration_id: string;
  scaling_configuration_name: string;
  instances: SortedCollection<AsInstance>;
  lifecycle_hooks: LifecycleHook[];
  hanging: HangingEntry[];
  tags: GroupTag[];
  /** Creation order: the tag query lists groups newest first, as AS does. */
  created: number;
}

/** The live, indexed form of the state that handlers read and write. */
export interface World {
  gateways: Map<string, Gateway>;
  scalingGroups: Map<string, ScalingGroup>;
  servers: Map<string, ServerState>;
  topics: Map<string, TopicState>;
  functions: Map<string, FunctionState>;
}

export interface LoadDefaults {
  clock: Clock;
  defaultMemberHealth: MemberHealth;
}

export function emptyWorld(): World {
  return {
    gateways: new Map(),
    scalingGroups: new Map(),
    servers: new Map(),
    topics: new Map(),
    functions: new Map(),
  };
}

/** Validates `input`, fills defaults and indexes it. Throws StateError naming the offending path. */
export function buildWorld(input: unknown, defaults: LoadDefaults): World {
  const parsed = stateSchema.safeParse(input ?? {});
  if (!parsed.success) throw new StateError(`Invalid emulator state:\n${z.prettifyError(parsed.error)}`);
  const state = parsed.data;
  const world = emptyWorld();
  const { clock } = defaults;

  (state.servers ?? []).forEach((s, i) => {
    if (world.servers.has(s.id)) fail(`servers[${i}]: duplicate server id "${s.id}"`);
    world.servers.set(s.id, {
      id: s.id,
      name: s.name ?? s.id,
      ...(s.ipv4 !== undefined && { ipv4: s.ipv4 }),
      status: s.status ?? "ACTIVE",
      ...(s.tags !== undefined && { tags: { ...s.tags } }),
    });
  });

  (state.gateways ?? []).forEach((g, gi) => {
    if (world.gateways.has(g.instance_id)) fail(`gateways[${gi}]: duplicate instance_id "${g.instance_id}"`);
    const gateway: Gateway = { instance_id: g.instance_id, kind: g.kind ?? "roma", channels: new Map() };
    world.gateways.set(g.instance_id, gateway);
    (g.channels ?? []).forEach((c, ci) => {
      const where = `gateways[${gi}].channels[${ci}]`;
      const channel = buildChannel(c, gateway, where, world, defaults);
      if (gateway.channels.has(channel.id)) fail(`${where}: duplicate channel id "${channel.id}"`);
      gateway.channels.set(channel.id, channel);
    });
  });

  (state.scaling_groups ?? []).forEach((g, gi) => {
    const where = `scaling_groups[${gi}]`;
    if (world.scalingGroups.has(g.scaling_group_id)) {
      fail(`${where}: duplicate scaling_group_id "${g.scaling_group_id}"`);
    }
    const group = newScalingGroup(g.scaling_group_id, g, gi);
    world.scalingGroups.set(group.scaling_group_id, group);
    (g.instances ?? []).forEach((inst, ii) => {
      if (group.instances.has(inst.instance_id)) {
        fail(`${where}.instances[${ii}]: duplicate instance_id "${inst.instance_id}"`);
      }
      group.instances.put(instanceWithDefaults(inst, undefined, clock));
    });
    (g.lifecycle_hooks ?? []).forEach((h, hi) => {
      if (group.lifecycle_hooks.some((x) => x.lifecycle_hook_name === h.lifecycle_hook_name)) {
        fail(`${where}.lifecycle_hooks[${hi}]: duplicate lifecycle_hook_name "${h.lifecycle_hook_name}"`);
      }
      group.lifecycle_hooks.push({
        lifecycle_hook_name: h.lifecycle_hook_name,
        lifecycle_hook_type: h.lifecycle_hook_type,
        default_result: h.default_result ?? "ABANDON",
        default_timeout: h.default_timeout ?? 3600,
        ...(h.notification_topic_urn !== undefined && { notification_topic_urn: h.notification_topic_urn }),
        ...(h.notification_metadata !== undefined && { notification_metadata: h.notification_metadata }),
        create_time: h.create_time ?? clock.nowIso(),
      });
    });
    (g.hanging ?? []).forEach((h, hi) => {
      const problem = hangingProblem(group, h);
      if (problem) fail(`${where}.hanging[${hi}]: ${problem}`);
      group.hanging.push(hangingWithDefaults(group, h));
    });
  });

  (state.topics ?? []).forEach((t, i) => {
    if (world.topics.has(t.topic_urn)) fail(`topics[${i}]: duplicate topic_urn "${t.topic_urn}"`);
    world.topics.set(t.topic_urn, {
      topic_urn: t.topic_urn,
      messages: (t.messages ?? []).map((m) => ({
        ...(m.subject !== undefined && { subject: m.subject }),
        message: m.message,
        message_id: m.message_id ?? hashId(`${t.topic_urn}/${m.message}`),
        time: m.time ?? clock.nowIso(),
      })),
    });
  });

  (state.functions ?? []).forEach((f, i) => {
    if (world.functions.has(f.func_urn)) fail(`functions[${i}]: duplicate func_urn "${f.func_urn}"`);
    world.functions.set(f.func_urn, {
      func_urn: f.func_urn,
      invocations: (f.invocations ?? []).map((inv) => ({
        request_id: inv.request_id ?? newUuid(),
        body: inv.body,
        time: inv.time ?? clock.nowIso(),
      })),
    });
  });

  return world;
}

type ChannelInput = z.output<typeof channelSchema>;

function buildChannel(
  c: ChannelInput,
  gateway: Gateway,
  where: string,
  world: World,
  defaults: LoadDefaults,
): ChannelStore {
  const { clock } = defaults;
  const id = c.id ?? hashId(`${gateway.instance_id}/${c.name ?? where}`);
  const now = clock.nowIso();
  const groups: MemberGroupInfo[] = [];
  (c.member_groups ?? []).forEach((g, i) => {
    if (groups.some((x) => x.member_group_name === g.member_group_name)) {
      fail(`${where}.member_groups[${i}]: duplicate member_group_name "${g.member_group_name}"`);
    }
    groups.push({
      member_group_id: g.member_group_id ?? hashId(g.member_group_name),
      member_group_name: g.member_group_name,
      member_group_remark: g.member_group_remark ?? "",
      ...(g.member_group_weight !== undefined && { member_group_weight: g.member_group_weight }),
      create_time: g.create_time ?? now,
      update_time: g.update_time ?? g.create_time ?? now,
    });
  });
  const channel = new ChannelStore(
    {
      id,
      name: c.name ?? `channel_${id.slice(0, 8)}`,
      port: c.port ?? 80,
      balance_strategy: c.balance_strategy ?? 1,
      member_type: c.member_type ?? "ecs",
      type: c.type ?? 2,
      status: c.status ?? 1,
      create_time: c.create_time ?? now,
      ...(c.vpc_health_config && { vpc_health_config: c.vpc_health_config }),
    },
    groups,
  );
  (c.members ?? []).forEach((m, mi) => {
    const at = `${where}.members[${mi}]`;
    const groupName = m.member_group_name ?? "";
    const group = groupName === "" ? undefined : channel.group(groupName);
    if (groupName !== "" && !group)
      fail(`${at}: member_group_name "${groupName}" is not a group of channel ${id}`);
    if (m.member_group_id !== undefined && m.member_group_id !== (group?.member_group_id ?? "")) {
      fail(`${at}: member_group_id "${m.member_group_id}" does not match member_group_name "${groupName}"`);
    }
    if (m.vpc_channel_id !== undefined && m.vpc_channel_id !== id) {
      fail(`${at}: vpc_channel_id "${m.vpc_channel_id}" is not the channel's id ${id}`);
    }
    const port = m.port ?? channel.info.port;
    let host = m.host ?? "";
    let ecsName = m.ecs_name;
    if (channel.info.member_type === "ecs") {
      if (m.ecs_id === undefined) fail(`${at}: ecs_id is required on an ecs channel`);
      const server = world.servers.get(m.ecs_id);
      host = m.host ?? server?.ipv4 ?? "";
      ecsName = m.ecs_name ?? server?.name ?? m.ecs_id;
    } else if (!isIpv4(host)) {
      fail(`${at}: host must be an IPv4 address on an ip channel`);
    }
    const member: VpcMemberInfo = {
      id:
        m.id ??
        hashId(`${id}/${channel.identityOf({ member_group_name: groupName, ecs_id: m.ecs_id, host, port })}`),
      host,
      weight: m.weight ?? 1,
      is_backup: m.is_backup ?? false,
      member_group_name: groupName,
      member_group_id: group?.member_group_id ?? "",
      status: m.status ?? 1,
      port,
      ...(m.ecs_id !== undefined && { ecs_id: m.ecs_id }),
      ...(ecsName !== undefined && { ecs_name: ecsName }),
      vpc_channel_id: id,
      create_time: m.create_time ?? clock.nowIso(),
      ...(gateway.kind === "apig"
        ? { health_status: m.health_status ?? defaults.defaultMemberHealth }
        : m.health_status !== undefined && { health_status: m.health_status }),
    };
    if (channel.members.has(member.id)) fail(`${at}: duplicate member id "${member.id}"`);
    if (channel.findByIdentity(channel.identityOf(member))) {
      fail(
        `${at}: duplicate member (same member_group_name and ${channel.info.member_type === "ecs" ? "ecs_id" : "host and port"})`,
      );
    }
    channel.addMember(member, clock.instantIso());
  });
  return channel;
}

export function newScalingGroup(
  id: string,
  g: {
    scaling_group_name?: string;
    scaling_configuration_id?: string;
    scaling_configuration_name?: string;
    tags?: GroupTag[];
  },
  created: number,
): ScalingGroup {
  const name = g.scaling_group_name ?? id;
  return {
    scaling_group_id: id,
    scaling_group_name: name,
    scaling_configuration_id: g.scaling_configuration_id ?? hashId(`config/${id}`),
    scaling_configuration_name: g.scaling_configuration_name ?? `${name}-config`,
    instances: new SortedCollection<AsInstance>(
      (i) => i.instance_id,
      (i) => i.create_time,
    ),
    lifecycle_hooks: [],
    hanging: [],
    tags: (g.tags ?? []).map((t) => ({ ...t })),
    created,
  };
}

/** Fills an instance's defaults; fields absent from `input` keep their value from `existing`. */
export function instanceWithDefaults(
  input: InstanceInput,
  existing: AsInstance | undefined,
  clock: Clock,
): AsInstance {
  return {
    instance_id: input.instance_id,
    instance_name: input.instance_name ?? existing?.instance_name ?? input.instance_id,
    life_cycle_state: input.life_cycle_state ?? existing?.life_cycle_state ?? "INSERVICE",
    health_status: input.health_status ?? existing?.health_status ?? "NORMAL",
    create_time: existing?.create_time ?? input.create_time ?? clock.nowIso(),
    protect_from_scaling_down:
      input.protect_from_scaling_down ?? existing?.protect_from_scaling_down ?? false,
  };
}

/** Why a hanging entry cannot be added to `group`, or undefined when it can. */
export function hangingProblem(group: ScalingGroup, h: HangingInput): string | undefined {
  if (!group.instances.has(h.instance_id)) {
    return `instance "${h.instance_id}" is not in scaling group ${group.scaling_group_id}`;
  }
  if (!group.lifecycle_hooks.some((x) => x.lifecycle_hook_name === h.lifecycle_hook_name)) {
    return `lifecycle hook "${h.lifecycle_hook_name}" is not defined on scaling group ${group.scaling_group_id}`;
  }
  if (
    h.lifecycle_action_key !== undefined &&
    group.hanging.some((x) => x.lifecycle_action_key === h.lifecycle_action_key)
  ) {
    return `duplicate lifecycle_action_key "${h.lifecycle_action_key}"`;
  }
  return undefined;
}

export function hangingWithDefaults(group: ScalingGroup, h: HangingInput): HangingEntry {
  const hook = group.lifecycle_hooks.find((x) => x.lifecycle_hook_name === h.lifecycle_hook_name);
  const timeoutSeconds = hook?.default_timeout ?? 3600;
  return {
    instance_id: h.instance_id,
    lifecycle_action_key: h.lifecycle_action_key ?? newUuid(),
    lifecycle_hook_name: h.lifecycle_hook_name,
    lifecycle_hook_status: "HANGING",
    timeout: h.timeout ?? isoSeconds(Date.now() + timeoutSeconds * 1000),
    default_result: h.default_result ?? hook?.default_result ?? "ABANDON",
  };
}

/** AS times carry whole seconds: `2016-11-15T06:43:41Z`. */
export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

export function parseInstanceInput(input: unknown): InstanceInput {
  return parseOrThrow(instanceSchema, input, "instance");
}

export function parseHangingInput(input: unknown): HangingInput {
  return parseOrThrow(hangingSchema, input, "hanging entry");
}

function parseOrThrow<T extends z.ZodType>(schema: T, input: unknown, what: string): z.output<T> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw new StateError(`Invalid ${what}:\n${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** A deep copy of the world in the state model's JSON form. */
export function snapshot(world: World): EmulatorState {
  const state: EmulatorState = {
    gateways: [...world.gateways.values()].map((g) => ({
      instance_id: g.instance_id,
      kind: g.kind,
      channels: [...g.channels.values()].map(
        (c): ChannelState => ({ ...c.info, member_groups: c.groups, members: [...c.members.list()] }),
      ),
    })),
    scaling_groups: [...world.scalingGroups.values()].map((g) => ({
      scaling_group_id: g.scaling_group_id,
      scaling_group_name: g.scaling_group_name,
      scaling_configuration_id: g.scaling_configuration_id,
      scaling_configuration_name: g.scaling_configuration_name,
      instances: [...g.instances.list()],
      lifecycle_hooks: g.lifecycle_hooks,
      hanging: g.hanging,
      tags: g.tags,
    })),
    servers: [...world.servers.values()],
    topics: [...world.topics.values()],
    functions: [...world.functions.values()],
  };
  return structuredClone(state);
}

function fail(message: string): never {
  throw new StateError(`Invalid emulator state: ${message}`);
}
