import type { ChannelStore } from "./channel";
import type { EmulatorContext } from "./context";
import { apigErrors } from "./errors";
import {
  type GroupInput,
  type MemberInput,
  parseChannelUpdate,
  parseHealthConfigBody,
  parseMemberGroupBatch,
  parseMemberIds,
  parseMembers,
} from "./gateway-input";
import { type ApiRequest, type ApiResponse, queryValue, type Route, type Router } from "./http";
import { newHexId } from "./ids";
import type { GatewayKind, MemberGroupInfo, VpcMemberInfo } from "./model";
import type { Gateway } from "./state";
import type { Trap } from "./types";
import { isRecord } from "./validators";

/**
 * ROMA Connect (`/v2/{project_id}/apic/...`) and dedicated APIG (`/v2/{project_id}/apigw/...`) VPC
 * channel APIs: show/update channel, add-or-update member groups, update the health check,
 * list/add/delete members, batch enable/disable.
 */

interface ChannelRef {
  kind: GatewayKind;
  instanceId: string;
  channelId: string;
}

const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 500;

export function createGatewayRouter(ctx: EmulatorContext): Router {
  return (method, params): Route | undefined => {
    const [family, instances, instanceId, vpcChannels, channelId, ...rest] = params;
    if (family !== "apic" && family !== "apigw") return undefined;
    if (instances !== "instances" || vpcChannels !== "vpc-channels" || !instanceId || !channelId)
      return undefined;
    const ref: ChannelRef = { kind: family === "apic" ? "roma" : "apig", instanceId, channelId };
    const channelKey = `${instanceId}/${channelId}`;
    const [sub, memberId, extra] = rest;
    if (sub === undefined) {
      if (method === "GET") return { handle: () => showChannel(ctx, ref) };
      if (method === "PUT") return { handle: (req) => updateChannel(ctx, ref, req), channelKey };
      return undefined;
    }
    if (sub === "member-groups" && memberId === undefined) {
      if (method === "POST") return { handle: (req) => createMemberGroups(ctx, ref, req), channelKey };
      return undefined;
    }
    if (sub === "health-config" && memberId === undefined) {
      if (method === "PUT") return { handle: (req) => updateHealthConfig(ctx, ref, req), channelKey };
      return undefined;
    }
    if (sub !== "members" || extra !== undefined) return undefined;
    if (memberId === undefined) {
      if (method === "GET") return { handle: (req) => listMembers(ctx, ref, req) };
      if (method === "POST") return { handle: (req) => addMembers(ctx, ref, req), channelKey };
      return undefined;
    }
    if (method === "DELETE") return { handle: () => deleteMember(ctx, ref, memberId), channelKey };
    if (method === "POST" && (memberId === "batch-enable" || memberId === "batch-disable")) {
      const status = memberId === "batch-enable" ? 1 : 2;
      return { handle: (req) => setMemberStatus(ctx, ref, req, status), channelKey };
    }
    return undefined;
  };
}

function resolve(ctx: EmulatorContext, ref: ChannelRef): { gateway: Gateway; channel: ChannelStore } {
  const gateway = ctx.world.gateways.get(ref.instanceId);
  if (!gateway || gateway.kind !== ref.kind) throw apigErrors.instanceNotFound(ref.instanceId);
  const channel = gateway.channels.get(ref.channelId);
  if (!channel) throw apigErrors.channelNotFound(ref.channelId);
  return { gateway, channel };
}

function jsonBody(req: ApiRequest): unknown {
  if (req.jsonError) throw apigErrors.invalid("body");
  return req.body;
}

function channelBody(channel: ChannelStore, withMembers: boolean): Record<string, unknown> {
  return {
    ...channel.info,
    member_groups: channel.groups,
    ...(withMembers && { members: channel.members.list() }),
  };
}

function showChannel(ctx: EmulatorContext, ref: ChannelRef): ApiResponse {
  const { channel } = resolve(ctx, ref);
  return { status: 200, body: channelBody(channel, true) };
}

function listMembers(ctx: EmulatorContext, ref: ChannelRef, req: ApiRequest): ApiResponse {
  const { channel } = resolve(ctx, ref);
  const offset = Math.max(0, intParam(req, "offset") ?? 0);
  const rawLimit = intParam(req, "limit") ?? DEFAULT_LIMIT;
  const limit = Math.min(
    rawLimit <= 0 ? DEFAULT_LIMIT : Math.min(rawLimit, MAX_LIMIT),
    ctx.options.pageSizeCap ?? MAX_LIMIT,
  );
  const precise = new Set((queryValue(req.query, "precise_search") ?? "").split(",").map((s) => s.trim()));
  const groupName = queryValue(req.query, "member_group_name");
  const groupId = queryValue(req.query, "member_group_id");
  const name = queryValue(req.query, "name");
  const matches = (value: string, wanted: string, field: string) =>
    precise.has(field) ? value === wanted : value.includes(wanted);
  const all = channel.members.list();
  const filtered =
    groupName === undefined && groupId === undefined && name === undefined
      ? all
      : all.filter(
          (m) =>
            (groupName === undefined || matches(m.member_group_name, groupName, "member_group_name")) &&
            (groupId === undefined || m.member_group_id === groupId) &&
            (name === undefined || matches(m.ecs_name ?? "", name, "name")),
        );
  const page = filtered.slice(offset, offset + limit);
  return { status: 200, body: { size: page.length, total: filtered.length, members: page } };
}

function intParam(req: ApiRequest, name: string): number | undefined {
  const text = queryValue(req.query, name);
  if (text === undefined || text === "") return undefined;
  if (!/^-?\d+$/.test(text)) throw apigErrors.invalid(name);
  return Number(text);
}

interface PlannedMember {
  identity: string;
  input: MemberInput;
  port: number;
}

/** Checks group references and drops later duplicates (the first definition wins). */
function planMembers(
  channel: ChannelStore,
  inputs: MemberInput[],
  groupNames: ReadonlySet<string>,
): PlannedMember[] {
  const planned = new Map<string, PlannedMember>();
  for (const input of inputs) {
    // The gateway's error code table (https://support.huaweicloud.com/en-us/api-apig/ErrorCode.html)
    // has no code of its own for a member group the channel lacks: a parameter error, as for any value
    // the gateway cannot take.
    if (input.member_group_name !== "" && !groupNames.has(input.member_group_name)) {
      throw apigErrors.invalid("member_group_name");
    }
    const port = input.port ?? channel.info.port;
    const identity = channel.identityOf({ ...input, port });
    if (!planned.has(identity)) planned.set(identity, { identity, input, port });
  }
  return [...planned.values()];
}

function upsertMember(
  ctx: EmulatorContext,
  gateway: Gateway,
  channel: ChannelStore,
  plan: PlannedMember,
): VpcMemberInfo {
  const { input, port } = plan;
  const isEcs = channel.info.member_type === "ecs";
  const serverIp = input.ecs_id === undefined ? undefined : ctx.world.servers.get(input.ecs_id)?.ipv4;
  const existing = channel.findByIdentity(plan.identity);
  if (existing) {
    if (input.weight !== undefined) existing.weight = input.weight;
    if (input.is_backup !== undefined) existing.is_backup = input.is_backup;
    if (input.status !== undefined) channel.setStatus(existing, input.status, ctx.clock.instantIso());
    if (input.port !== undefined) existing.port = input.port;
    if (input.ecs_id !== undefined) existing.ecs_id = input.ecs_id;
    if (input.ecs_name !== undefined) existing.ecs_name = input.ecs_name;
    if (isEcs && serverIp !== undefined) existing.host = serverIp;
    return existing;
  }
  const member: VpcMemberInfo = {
    id: newHexId(),
    host: isEcs ? (serverIp ?? "") : (input.host ?? ""),
    weight: input.weight ?? 1,
    is_backup: input.is_backup ?? false,
    member_group_name: input.member_group_name,
    member_group_id: channel.group(input.member_group_name)?.member_group_id ?? "",
    status: input.status ?? 1,
    port,
    ...(input.ecs_id !== undefined && { ecs_id: input.ecs_id }),
    ...(input.ecs_name !== undefined && { ecs_name: input.ecs_name }),
    vpc_channel_id: channel.id,
    create_time: ctx.clock.nowIso(),
    ...(gateway.kind === "apig" && { health_status: ctx.options.defaultMemberHealth }),
  };
  channel.addMember(member, ctx.clock.instantIso());
  return member;
}

function addMembers(ctx: EmulatorContext, ref: ChannelRef, req: ApiRequest): ApiResponse {
  const { gateway, channel } = resolve(ctx, ref);
  const body = jsonBody(req);
  const inputs = parseMembers(isRecord(body) ? body.members : undefined, channel.info.member_type);
  const groupNames = new Set(channel.groups.map((g) => g.member_group_name));
  const plan = planMembers(channel, inputs, groupNames);
  const added = plan.filter((p) => !channel.findByIdentity(p.identity)).length;
  if (channel.members.size + added > ctx.options.memberQuota) throw apigErrors.quotaExceeded();
  const members = plan.map((p) => upsertMember(ctx, gateway, channel, p));
  return { status: 201, body: { size: members.length, total: members.length, members } };
}

function updateChannel(ctx: EmulatorContext, ref: ChannelRef, req: ApiRequest): ApiResponse {
  const { gateway, channel } = resolve(ctx, ref);
  const update = parseChannelUpdate(jsonBody(req), channel.info, gateway.kind);
  const groupsAfter = update.member_groups ?? [];
  const groupNames = new Set(groupsAfter.map((g) => g.member_group_name));
  const plan = update.members ? planMembers(channel, update.members, groupNames) : undefined;
  if (plan && plan.length > ctx.options.memberQuota) throw apigErrors.quotaExceeded();

  const traps: Trap[] = [];
  if (update.member_groups === undefined) traps.push("member_groups_absent");
  const dropped = new Set(
    channel.groups.map((g) => g.member_group_name).filter((name) => !groupNames.has(name)),
  );
  if (dropped.size > 0) {
    traps.push("member_groups_deleted");
    channel.removeMembersWhere((m) => dropped.has(m.member_group_name));
  }
  const now = ctx.clock.nowIso();
  channel.groups = groupsAfter.map((g) => mergeGroup(channel.group(g.member_group_name), g, now));
  channel.info = {
    ...channel.info,
    name: update.name,
    port: update.port,
    balance_strategy: update.balance_strategy,
    type: update.type ?? channel.info.type,
    ...(update.vpc_health_config && { vpc_health_config: update.vpc_health_config }),
  };
  if (plan) {
    traps.push("members_replaced");
    const keep = new Set(plan.map((p) => p.identity));
    channel.removeMembersWhere((m) => !keep.has(channel.identityOf(m)));
    for (const p of plan) upsertMember(ctx, gateway, channel, p);
  }
  return { status: 200, body: channelBody(channel, false), traps };
}

/**
 * `POST …/member-groups`: add-or-update by name. "If a backend server group with the specified name
 * already exists, the backend server group information is updated"; no other group, and no member,
 * is touched. 201 with the groups of the request as they now are.
 */
function createMemberGroups(ctx: EmulatorContext, ref: ChannelRef, req: ApiRequest): ApiResponse {
  const { channel } = resolve(ctx, ref);
  const inputs = parseMemberGroupBatch(jsonBody(req));
  const now = ctx.clock.nowIso();
  const upserted = inputs.map((input) => {
    const existing = channel.group(input.member_group_name);
    const group = mergeGroup(existing, input, now);
    if (existing) channel.groups[channel.groups.indexOf(existing)] = group;
    else channel.groups.push(group);
    return group;
  });
  return { status: 201, body: { size: upserted.length, total: upserted.length, member_groups: upserted } };
}

/**
 * `PUT …/health-config`: replaces the channel's health check with the body, leaving every other
 * setting, group and member as it is. 200 with `VpcHealthConfigInfo` (the config plus
 * `vpc_channel_id` and `create_time`; the emulator has no health-check id).
 */
function updateHealthConfig(ctx: EmulatorContext, ref: ChannelRef, req: ApiRequest): ApiResponse {
  const { channel } = resolve(ctx, ref);
  const config = parseHealthConfigBody(jsonBody(req));
  channel.info = { ...channel.info, vpc_health_config: config };
  return {
    status: 200,
    body: { ...config, vpc_channel_id: channel.id, create_time: channel.info.create_time },
  };
}

/**
 * An existing group keeps its id and creation time; a new one gets a fresh id. A group has a
 * `member_group_weight` only once a request sets one (see MemberGroupInfo): none is invented.
 */
function mergeGroup(existing: MemberGroupInfo | undefined, input: GroupInput, now: string): MemberGroupInfo {
  const weight = input.member_group_weight ?? existing?.member_group_weight;
  return {
    member_group_id: existing?.member_group_id ?? newHexId(),
    member_group_name: input.member_group_name,
    // A group created without a remark reads back with "" (DEFS ROMA/src/CreateMemberGroup.json).
    member_group_remark: input.member_group_remark ?? existing?.member_group_remark ?? "",
    ...(weight !== undefined && { member_group_weight: weight }),
    create_time: existing?.create_time ?? now,
    update_time: now,
  };
}

function deleteMember(ctx: EmulatorContext, ref: ChannelRef, memberId: string): ApiResponse {
  const { channel } = resolve(ctx, ref);
  const deleted = channel.removeMember(memberId);
  if (!deleted) throw apigErrors.memberNotFound(memberId);
  return { status: 204, deleted };
}

function setMemberStatus(ctx: EmulatorContext, ref: ChannelRef, req: ApiRequest, status: 1 | 2): ApiResponse {
  const { channel } = resolve(ctx, ref);
  const ids = parseMemberIds(jsonBody(req));
  const members = ids.map((id) => {
    const member = channel.members.get(id);
    if (!member) throw apigErrors.memberNotFound(id);
    return member;
  });
  const now = ctx.clock.instantIso();
  for (const member of members) channel.setStatus(member, status, now);
  return { status: 204 };
}
