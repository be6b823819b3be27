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
 * A member's `ecs_name` allows letters (Chinese included), digits, `-`, `_` and `.`, 1 to 64 characters
 * (huaweicloud-sdk-go-v3 `services/roma/v2/model/model_member_info.go`, `EcsName`).
 */
export function memberName(instance: GroupInstance): string {
  const cleaned = (instance.instance_name ?? "").replace(/[^\p{L}\p{N}_.-]/gu, "-").slice(0, 64);
  return cleaned === "" ? instance.instance_id.slice(0, 64) : cleaned;
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
