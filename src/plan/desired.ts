import type { GroupInstance } from "../cloud/autoscaling";
import type { Binding } from "../config/schema";

/** AS states in which an instance should receive traffic (a launch hook holds PENDING_WAIT ones). */
export const SERVING_STATES: ReadonlySet<string> = new Set(["INSERVICE", "PENDING_WAIT"]);

export function isDesired(instance: GroupInstance): boolean {
  return SERVING_STATES.has(instance.life_cycle_state ?? "") && instance.health_status !== "ERROR";
}

/** What one member of a target should look like. */
export interface DesiredMember {
  ecs_id: string;
  ecs_name: string;
  weight: number;
  /** The binding's slow start window (0: off): a new member earns `weight` across it. */
  slow_start_seconds: number;
  is_backup: boolean;
  /** Undefined: the channel's port applies and the member's port is not enforced. */
  port: number | undefined;
  member_group_name: string;
  scaling_group_id: string;
  life_cycle_state: string;
}

/**
 * A member's `ecs_name`: Chinese characters (U+4E00–U+9FA5), ASCII letters, digits, `-`, `_` and `.`,
 * 1 to 64 characters ("支持汉字，英文，数字，“-”,“_”,“.”，1 ~ 64字符", `EcsName` of `MemberInfo` in
 * huaweicloud-sdk-go-v3 `services/roma/v2/model/model_member_info.go` and the APIG one). The gateway
 * refuses a whole add with one name outside it.
 */
const MEMBER_NAME = /^[\u4e00-\u9fa5A-Za-z0-9_.-]{1,64}$/;
const OUTSIDE_MEMBER_NAME = /[^\u4e00-\u9fa5A-Za-z0-9_.-]+/g;

/**
 * The instance's name as a member's `ecs_name`: as it is when the API takes it; otherwise with accents
 * and compatibility forms taken apart (`é` → `e`, `№` → `No`), each run of other characters made one
 * `-`, no `-` at either end, and cut to 64. The instance id when no character is left.
 */
export function memberName(instance: GroupInstance): string {
  const name = instance.instance_name ?? "";
  if (MEMBER_NAME.test(name)) return name;
  const reduced = name
    .normalize("NFKD")
    .replace(/\p{M}/gu, "")
    .replace(OUTSIDE_MEMBER_NAME, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 64);
  return reduced === "" ? instance.instance_id.slice(0, 64) : reduced;
}

/**
 * The desired members of one target: the union of its bindings' serving instances. Bindings of one
 * target agree on member settings (the config schema enforces it), so the first one's apply.
 */
export function desiredMembers(
  bindings: readonly Binding[],
  instancesByGroup: ReadonlyMap<string, readonly GroupInstance[]>,
): DesiredMember[] {
  const out = new Map<string, DesiredMember>();
  for (const b of bindings) {
    for (const instance of instancesByGroup.get(b.scaling_group_id) ?? []) {
      if (!isDesired(instance) || out.has(instance.instance_id)) continue;
      out.set(instance.instance_id, {
        ecs_id: instance.instance_id,
        ecs_name: memberName(instance),
        weight: b.weight,
        slow_start_seconds: b.slow_start_seconds,
        is_backup: b.standby,
        port: b.port,
        member_group_name: b.member_group_name,
        scaling_group_id: b.scaling_group_id,
        life_cycle_state: instance.life_cycle_state ?? "",
      });
    }
  }
  return [...out.values()];
}
