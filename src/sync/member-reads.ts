import type { GatewayClient, Member } from "../cloud/gateway";
import type { ChannelRef } from "../plan/identity";
import type { Target } from "../plan/targets";

/** One target's members as listed, or what the listing failed with. */
export type TargetMembers = { members: Member[] } | { error: unknown };

/**
 * The members of these member groups of one channel, in the fewest pages a listing can know of: one
 * listing per group (the gateway filters by `member_group_name`), or, for two groups or more, one
 * listing of the whole channel when it takes no more pages than they do. Each group's own listing
 * takes at least one page, so a whole-channel listing of at most as many pages as there are groups
 * never reads more; its first page's total tells (a channel may hold many members of groups that are
 * not ours, so it is tried first only where it can pay). When it would take more, the run lists each
 * group: one page more than the fewest. `seen` is every member listed, other groups' too: they prove the
 * channel's member type as well as ours do.
 */
export async function listTargetMembers(
  gateway: GatewayClient,
  channel: ChannelRef,
  targets: readonly Target[],
): Promise<{ byTarget: Map<Target, TargetMembers>; seen: Member[] }> {
  const byTarget = new Map<Target, TargetMembers>();
  if (targets.length > 1) {
    try {
      const all = await gateway.listChannelMembers(channel, (pages) => pages <= targets.length);
      if (all !== undefined) {
        for (const t of targets) {
          byTarget.set(t, { members: all.filter((m) => m.member_group_name === t.memberGroupName) });
        }
        return { byTarget, seen: all };
      }
    } catch (error) {
      for (const t of targets) byTarget.set(t, { error });
      return { byTarget, seen: [] };
    }
  }
  const seen: Member[] = [];
  for (const t of targets) {
    try {
      const members = await gateway.listGroupMembers(channel, t.memberGroupName);
      byTarget.set(t, { members });
      seen.push(...members);
    } catch (error) {
      byTarget.set(t, { error });
    }
  }
  return { byTarget, seen };
}

/**
 * The members of these groups of one channel listed once more, when first asked for (one listing for
 * them all, as listTargetMembers reads them): what a step about to delete, or to complete a terminate
 * hook, acts on. Nothing is read unless asked, and only `targets` may be asked for.
 */
export function listingOnDemand(
  gateway: GatewayClient,
  channel: ChannelRef,
  targets: readonly Target[],
): (target: Target) => Promise<TargetMembers> {
  let listing: Promise<Map<Target, TargetMembers>> | undefined;
  return async (target) => {
    listing ??= listTargetMembers(gateway, channel, targets).then((l) => l.byTarget);
    return (await listing).get(target)!;
  };
}
