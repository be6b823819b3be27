import type { Channel, ChannelUpdate } from "../cloud/gateway";
import type { HealthCheck } from "../config/schema";

export interface ChannelSetupPlan {
  update: ChannelUpdate;
  missingGroups: string[];
  healthCheckChanged: boolean;
}

/** Fields of a health check compared after defaults, so a converged channel compares equal. */
function normaliseHealth(
  hc: Record<string, unknown> | null | undefined,
): Record<string, unknown> | undefined {
  if (!hc) return undefined;
  return {
    protocol: String(hc.protocol ?? "").toUpperCase(),
    path: hc.path ?? "",
    method: String(hc.method ?? "GET").toUpperCase(),
    port: hc.port ?? 0,
    threshold_normal: hc.threshold_normal,
    threshold_abnormal: hc.threshold_abnormal,
    time_interval: hc.time_interval,
    timeout: hc.timeout,
    http_code: hc.http_code ?? "",
    enable_client_ssl: hc.enable_client_ssl ?? false,
  };
}

export function sameHealthCheck(
  wanted: HealthCheck,
  actual: Record<string, unknown> | null | undefined,
): boolean {
  return JSON.stringify(normaliseHealth(wanted)) === JSON.stringify(normaliseHealth(actual));
}

/**
 * The PUT channel body when the channel needs setting up, else undefined. Read-modify-write: every
 * existing member group is sent back (a partial list deletes the groups left out) and `members` is
 * never sent (so no member is replaced).
 */
export function planChannelSetup(
  channel: Channel,
  groupNames: readonly string[],
  healthCheck: HealthCheck | undefined,
): ChannelSetupPlan | undefined {
  const existing = channel.member_groups ?? [];
  const have = new Set(existing.map((g) => g.member_group_name));
  const missingGroups = [...new Set(groupNames)].filter((name) => !have.has(name));
  const healthCheckChanged =
    healthCheck !== undefined &&
    !sameHealthCheck(healthCheck, channel.vpc_health_config as Record<string, unknown> | null | undefined);
  if (missingGroups.length === 0 && !healthCheckChanged) return undefined;

  const keptGroups = existing.map((g) => {
    const { member_group_id: _id, create_time: _c, update_time: _u, ...rest } = g as Record<string, unknown>;
    return rest as ChannelUpdate["member_groups"][number];
  });
  const update: ChannelUpdate = {
    name: channel.name,
    port: channel.port,
    balance_strategy: channel.balance_strategy,
    member_type: channel.member_type,
    ...(channel.type !== undefined && channel.type !== null ? { type: channel.type } : {}),
    member_groups: [...keptGroups, ...missingGroups.map((name) => ({ member_group_name: name }))],
  };
  const health = healthCheck ?? (channel.vpc_health_config as Record<string, unknown> | null | undefined);
  if (health) {
    const { id: _i, vpc_channel_id: _v, create_time: _c, ...rest } = health as Record<string, unknown>;
    update.vpc_health_config = rest;
  }
  return { update, missingGroups, healthCheckChanged };
}
