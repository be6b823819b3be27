import type { Channel } from "../cloud/gateway";
import type { HealthCheck } from "../config/schema";

/**
 * What a channel needs before its members can be written, as two narrow writes: the member groups
 * to create (`POST …/member-groups`, add-or-update by name) and the health check to set
 * (`PUT …/health-config`). The whole-channel PUT (`PUT …/vpc-channels/{id}`, the SDKs'
 * UpdateVpcChannelV2) is never used: it replaces the channel's
 * whole definition, so it would undo whatever changed between our read and our write, and a
 * `member_groups` list that missed a group would delete it.
 */
export interface ChannelSetupPlan {
  /** Member groups the channel lacks, in the order the bindings name them. */
  missingGroups: string[];
  /** The `VpcHealthConfig` body to PUT, when the channel's health check differs from the binding's. */
  healthCheck: HealthCheck | undefined;
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
 * The setup writes a channel needs, or undefined when it needs none (a converged channel costs no
 * write). `groupNames` are the member groups whose existence is in doubt: a group whose member
 * listing is not empty exists and need not be named.
 */
export function planChannelSetup(
  channel: Channel,
  groupNames: readonly string[],
  healthCheck: HealthCheck | undefined,
): ChannelSetupPlan | undefined {
  const have = new Set((channel.member_groups ?? []).map((g) => g.member_group_name));
  const missingGroups = [...new Set(groupNames)].filter((name) => !have.has(name));
  const healthChanged =
    healthCheck !== undefined &&
    !sameHealthCheck(healthCheck, channel.vpc_health_config as Record<string, unknown> | null | undefined);
  if (missingGroups.length === 0 && !healthChanged) return undefined;
  // The binding's fields alone; the configuration already holds `protocol` in the API's enum spelling.
  return { missingGroups, healthCheck: healthChanged ? healthCheck : undefined };
}

/** What a member group's `member_group_weight` does to the members a binding writes, for its warnings. */
export const GROUP_WEIGHT_EFFECT =
  "the gateway assigns its members' weights from it, overriding the binding's weight and slow_start_seconds; remove the group weight";

/**
 * The named member groups that carry a `member_group_weight`: the gateway assigns their members'
 * weights from it (official SDK `MemberGroupCreate.member_group_weight`), overriding each member's own.
 */
export function weightedGroups(
  channel: Channel,
  groupNames: readonly string[],
): { member_group_name: string; weight: number }[] {
  const names = new Set(groupNames);
  return (channel.member_groups ?? []).flatMap((g) =>
    names.has(g.member_group_name) && typeof g.member_group_weight === "number"
      ? [{ member_group_name: g.member_group_name, weight: g.member_group_weight }]
      : [],
  );
}
