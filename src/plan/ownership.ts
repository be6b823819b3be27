import type { Channel } from "../cloud/gateway";
import { isEmptyPlan, type TargetPlan } from "./plan-members";

/**
 * Who owns a member group. A tag binding is made by whoever may tag an AS group, not by the channel's
 * owner: it may write only to a member group that is absent (the run creates it) or that carries this
 * exact `member_group_remark`, which the function gives every member group it creates. The remark is
 * the marker because it is the one free-text field of a member group (official SDKs' `MemberGroupCreate`
 * and `MemberGroupInfo`, services/{roma,apig}/v2/model/), returned with the channel's `member_groups`.
 */
export const MANAGED_REMARK = "managed-by=channel-autoscaler";

/** What a channel says of one member group's owner. */
export type GroupOwnership =
  | { managed: true; exists: boolean }
  /** `remark`: the group's `member_group_remark`, null when it has none. */
  | { managed: false; remark: string | null };

/**
 * Whether the function may write to a member group: it does not exist yet, or it carries exactly
 * MANAGED_REMARK. `listed` is how many members the group's listing showed: a group that the channel
 * does not list but that has members is not taken for absent.
 */
export function memberGroupOwnership(channel: Channel, name: string, listed: number): GroupOwnership {
  const group = (channel.member_groups ?? []).find((g) => g.member_group_name === name);
  if (group === undefined)
    return listed === 0 ? { managed: true, exists: false } : { managed: false, remark: null };
  const remark = group.member_group_remark ?? null;
  return remark === MANAGED_REMARK ? { managed: true, exists: true } : { managed: false, remark };
}

/**
 * Whether a run must know who owns a target's member group before it goes on: when it would write to the
 * group (add, update, enable, disable, delete, or find the member type or an address for an add) or
 * complete a lifecycle hook that the group decides. A converged target with no waiting hook needs no
 * answer, and so no read. From part of the instances (`partial`: a first page) only adds, updates and
 * enables count: more instances can only add to those, while a member that looks stray may belong
 * to an instance not read yet.
 */
export function ownershipCheckDue(plan: TargetPlan, hooksWaiting: boolean, partial = false): boolean {
  if (plan.upserts.length > 0 || plan.enable.length > 0 || hooksWaiting) return true;
  return !partial && (!isEmptyPlan(plan) || plan.needsAddress.length > 0);
}
