import { apigErrors } from "./errors";
import type { ChannelInfo, GatewayKind, MemberStatus, MemberType, VpcHealthConfig } from "./model";
import {
  APIG_CHANNEL_NAME_RE,
  ECS_ID_RE,
  ECS_NAME_RE,
  HTTP_CODE_RE,
  isInt,
  isIpv4,
  isRecord,
  MEMBER_GROUP_NAME_RE,
  ROMA_CHANNEL_NAME_RE,
} from "./validators";

/**
 * Request-body validation for the VPC channel APIs. Each function either returns the checked input
 * or throws the ApiError the real gateway would answer with (first problem wins).
 */

/** A validated MemberInfo. Absent optional fields stay absent so updates only touch what was sent. */
export interface MemberInput {
  /** "" when not sent. */
  member_group_name: string;
  host?: string;
  weight?: number;
  is_backup?: boolean;
  status?: MemberStatus;
  port?: number;
  ecs_id?: string;
  ecs_name?: string;
}

export interface GroupInput {
  member_group_name: string;
  member_group_remark?: string;
  member_group_weight?: number;
}

export interface ChannelUpdate {
  name: string;
  port: number;
  balance_strategy: number;
  member_type: MemberType;
  type?: number;
  /** undefined when the body has no `member_groups` (the gateway then deletes every group). */
  member_groups: GroupInput[] | undefined;
  vpc_health_config?: VpcHealthConfig;
  /** undefined or empty: members are left alone. */
  members?: MemberInput[];
}

export function parseMembers(raw: unknown, memberType: MemberType): MemberInput[] {
  if (raw === undefined || raw === null || (Array.isArray(raw) && raw.length === 0)) {
    throw apigErrors.missing("members");
  }
  if (!Array.isArray(raw)) throw apigErrors.invalid("members");
  return raw.map((m) => parseMember(m, memberType));
}

function parseMember(raw: unknown, memberType: MemberType): MemberInput {
  if (!isRecord(raw)) throw apigErrors.invalid("members");
  const { weight, port, status, is_backup, member_group_name, ecs_id, ecs_name, host } = raw;
  if (weight !== undefined && !isInt(weight, 0, 10000)) throw apigErrors.outOfRange("weight");
  if (port !== undefined && !isInt(port, 0, 65535)) throw apigErrors.outOfRange("port");
  if (status !== undefined && status !== 1 && status !== 2) throw apigErrors.invalid("status");
  if (is_backup !== undefined && typeof is_backup !== "boolean") throw apigErrors.invalid("is_backup");
  if (member_group_name !== undefined && typeof member_group_name !== "string") {
    throw apigErrors.invalid("member_group_name");
  }
  if (memberType === "ecs") {
    if (ecs_id === undefined || ecs_id === "") throw apigErrors.missing("ecs_id");
    if (ecs_name === undefined || ecs_name === "") throw apigErrors.missing("ecs_name");
  } else {
    if (host === undefined || host === "") throw apigErrors.missing("host");
    if (typeof host !== "string" || host.length > 64 || !isIpv4(host)) throw apigErrors.invalidIp();
  }
  if (ecs_id !== undefined && !(typeof ecs_id === "string" && ECS_ID_RE.test(ecs_id))) {
    throw apigErrors.invalid("ecs_id");
  }
  if (ecs_name !== undefined && !(typeof ecs_name === "string" && ECS_NAME_RE.test(ecs_name))) {
    throw apigErrors.invalid("ecs_name");
  }
  return {
    member_group_name: member_group_name ?? "",
    ...(memberType === "ip" && { host: host as string }),
    ...(weight !== undefined && { weight }),
    ...(is_backup !== undefined && { is_backup }),
    ...(status !== undefined && { status }),
    ...(port !== undefined && { port }),
    ...(ecs_id !== undefined && { ecs_id: ecs_id as string }),
    ...(ecs_name !== undefined && { ecs_name: ecs_name as string }),
  };
}

export function parseChannelUpdate(body: unknown, current: ChannelInfo, kind: GatewayKind): ChannelUpdate {
  if (!isRecord(body)) throw apigErrors.invalid("body");
  const { name, port, balance_strategy, member_type, type } = body;
  if (name === undefined) throw apigErrors.missing("name");
  const nameRe = kind === "apig" ? APIG_CHANNEL_NAME_RE : ROMA_CHANNEL_NAME_RE;
  if (typeof name !== "string" || !nameRe.test(name)) throw apigErrors.invalid("name");
  if (port === undefined) throw apigErrors.missing("port");
  if (!isInt(port, 1, 65535)) throw apigErrors.outOfRange("port");
  if (balance_strategy === undefined) throw apigErrors.missing("balance_strategy");
  if (!isInt(balance_strategy, 1, 4)) throw apigErrors.outOfRange("balance_strategy");
  if (member_type === undefined) throw apigErrors.missing("member_type");
  if (member_type !== "ip" && member_type !== "ecs") throw apigErrors.invalid("member_type");
  if (member_type !== current.member_type) throw apigErrors.invalid("member_type");
  if (type !== undefined && type !== 2 && type !== 3) throw apigErrors.invalid("type");
  const healthConfig =
    body.vpc_health_config === undefined ? undefined : parseHealthConfig(body.vpc_health_config);
  const groups = body.member_groups === undefined ? undefined : parseGroups(body.member_groups);
  const members =
    body.members === undefined || (Array.isArray(body.members) && body.members.length === 0)
      ? undefined
      : parseMembers(body.members, member_type);
  return {
    name,
    port,
    balance_strategy,
    member_type,
    ...(type !== undefined && { type }),
    member_groups: groups,
    ...(healthConfig && { vpc_health_config: healthConfig }),
    ...(members && { members }),
  };
}

/**
 * The add-or-update member-groups body `{"member_groups": [MemberGroupCreate]}` (official SDKs'
 * `MemberGroupCreateBatch`): at least one group, each named 3–64 characters starting with a letter,
 * weight 0–100, remark up to 255 characters, no name twice.
 */
export function parseMemberGroupBatch(body: unknown): GroupInput[] {
  if (!isRecord(body)) throw apigErrors.invalid("body");
  const raw = body.member_groups;
  if (raw === undefined || raw === null || (Array.isArray(raw) && raw.length === 0)) {
    throw apigErrors.missing("member_groups");
  }
  return parseGroups(raw);
}

/** The health-config body: the `VpcHealthConfig` fields alone, checked as in a channel update. */
export function parseHealthConfigBody(body: unknown): VpcHealthConfig {
  return parseHealthConfig(body);
}

function parseGroups(raw: unknown): GroupInput[] {
  if (!Array.isArray(raw)) throw apigErrors.invalid("member_groups");
  const seen = new Set<string>();
  return raw.map((g): GroupInput => {
    if (!isRecord(g)) throw apigErrors.invalid("member_groups");
    const { member_group_name: name, member_group_remark: remark, member_group_weight: weight } = g;
    if (name === undefined || name === "") throw apigErrors.missing("member_group_name");
    if (typeof name !== "string" || !MEMBER_GROUP_NAME_RE.test(name) || seen.has(name)) {
      throw apigErrors.invalid("member_group_name");
    }
    seen.add(name);
    if (remark !== undefined && (typeof remark !== "string" || remark.length > 255)) {
      throw apigErrors.invalid("member_group_remark");
    }
    if (weight !== undefined && !isInt(weight, 0, 100)) throw apigErrors.outOfRange("member_group_weight");
    return {
      member_group_name: name,
      ...(remark !== undefined && { member_group_remark: remark }),
      ...(weight !== undefined && { member_group_weight: weight }),
    };
  });
}

function parseHealthConfig(raw: unknown): VpcHealthConfig {
  if (!isRecord(raw)) throw apigErrors.invalid("vpc_health_config");
  const { protocol, path, method, port, http_code, enable_client_ssl, status } = raw;
  if (protocol === undefined) throw apigErrors.missing("protocol");
  // The API's enum is upper-case (the official SDKs' `VpcHealthConfig` model): `tcp` is refused.
  if (typeof protocol !== "string" || !["TCP", "HTTP", "HTTPS"].includes(protocol)) {
    throw apigErrors.invalid("protocol");
  }
  const ranges = [
    ["threshold_normal", 1, 10],
    ["threshold_abnormal", 1, 10],
    ["time_interval", 5, 300],
    ["timeout", 2, 30],
  ] as const;
  for (const [field, min, max] of ranges) {
    if (raw[field] === undefined) throw apigErrors.missing(field);
    if (!isInt(raw[field], min, max)) throw apigErrors.outOfRange(field);
  }
  const timing = raw as {
    threshold_normal: number;
    threshold_abnormal: number;
    time_interval: number;
    timeout: number;
  };
  if (timing.timeout >= timing.time_interval) throw apigErrors.outOfRange("timeout");
  const isHttp = protocol !== "TCP";
  if (isHttp && (path === undefined || path === "")) throw apigErrors.missing("path");
  if (path !== undefined && typeof path !== "string") throw apigErrors.invalid("path");
  if (isHttp && (http_code === undefined || http_code === "")) throw apigErrors.missing("http_code");
  if (http_code !== undefined && !(typeof http_code === "string" && validHttpCodes(http_code))) {
    throw apigErrors.invalid("http_code");
  }
  if (
    method !== undefined &&
    !(typeof method === "string" && ["GET", "HEAD"].includes(method.toUpperCase()))
  ) {
    throw apigErrors.invalid("method");
  }
  if (port !== undefined && !isInt(port, 0, 65535)) throw apigErrors.outOfRange("port");
  if (enable_client_ssl !== undefined && typeof enable_client_ssl !== "boolean") {
    throw apigErrors.invalid("enable_client_ssl");
  }
  if (status !== undefined && status !== 1 && status !== 2) throw apigErrors.invalid("status");
  return {
    protocol,
    ...(path !== undefined && { path: path as string }),
    ...(method !== undefined && { method: method as string }),
    ...(port !== undefined && { port }),
    threshold_normal: timing.threshold_normal,
    threshold_abnormal: timing.threshold_abnormal,
    time_interval: timing.time_interval,
    ...(http_code !== undefined && { http_code: http_code as string }),
    ...(enable_client_ssl !== undefined && { enable_client_ssl }),
    ...(status !== undefined && { status }),
    timeout: timing.timeout,
  };
}

/** Every code 100–599 and every range ascending. */
function validHttpCodes(text: string): boolean {
  if (!HTTP_CODE_RE.test(text)) return false;
  return text.split(",").every((part) => {
    const [from, to = from] = part.split("-").map(Number) as [number, number?];
    return from >= 100 && to <= 599 && from <= to;
  });
}

export function parseMemberIds(body: unknown): string[] {
  const ids = isRecord(body) ? body.member_ids : undefined;
  if (ids === undefined || ids === null || (Array.isArray(ids) && ids.length === 0)) {
    throw apigErrors.missing("member_ids");
  }
  if (!Array.isArray(ids) || !ids.every((id) => typeof id === "string"))
    throw apigErrors.invalid("member_ids");
  return ids;
}
