import type { AutoScalingTagsClient, GroupTag, TagFilter } from "../cloud/autoscaling-tags";
import { ApiError } from "../cloud/errors";
import { isCloudId } from "../cloud/paths";
import type { Binding } from "../config/schema";
import { allowsChannel, type TagBindingAllowList } from "../config/tag-consent";
import { type BindingSet, type DiscoveredGroup, mergeBindings } from "./merge";
import { bindingFromTags, CHANNEL_TAG, isTaggedForBinding, MEMBER_GROUP_TAG } from "./tags";

const discovered = (scalingGroupId: string, tags: readonly GroupTag[]): DiscoveredGroup => ({
  scaling_group_id: scalingGroupId,
  result: bindingFromTags(scalingGroupId, tags),
});

/** A group the event names may be gone already (AS.2007): it binds nothing. */
async function tagsOrNone(client: AutoScalingTagsClient, groupId: string): Promise<GroupTag[]> {
  try {
    return await client.listGroupTags(groupId);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return [];
    throw err;
  }
}

/** Groups an event may name whose tags are read one by one; past this, one query-by-tag reads them all. */
export const TAG_READS_PER_EVENT = 20;

/**
 * Every tagged group of the project: one query-by-tag call per 1,000 groups carrying the channel tag.
 * `reconcile` and `backfill` run it once per invocation.
 */
export async function discoverAll(
  client: AutoScalingTagsClient,
  env: readonly Binding[],
  allowed: TagBindingAllowList,
): Promise<BindingSet> {
  const groups = await client.listGroupsByTags([{ key: CHANNEL_TAG, values: [] }]);
  return mergeBindings(
    env,
    groups.map((g) => discovered(g.scaling_group_id, g.tags)),
    allowed,
  );
}

/**
 * The bindings of the named groups without listing every group (`scaling-events`): each named group's
 * own tags, then, for every channel member group those bindings name, the groups tagged with the same
 * channel and member group. A shared member group is only correct when all its groups are read
 * together, and this query returns just those groups. A named id that is not an id names no AS group
 * and is never put into a path; more than TAG_READS_PER_EVENT groups to read cost one query-by-tag of
 * every tagged group instead (the run then narrows to the named ones).
 */
export async function discoverGroups(
  client: AutoScalingTagsClient,
  env: readonly Binding[],
  groupIds: readonly string[],
  allowed: TagBindingAllowList,
): Promise<BindingSet> {
  const envGroups = new Set(env.map((b) => b.scaling_group_id));
  const toRead = [...new Set(groupIds)].filter((id) => !envGroups.has(id) && isCloudId(id));
  if (toRead.length > TAG_READS_PER_EVENT) return discoverAll(client, env, allowed);
  const found = new Map<string, DiscoveredGroup>();
  const targets = new Map<string, TagFilter[]>();
  const addTarget = (channel: string, memberGroup: string) =>
    targets.set(`${channel}/${memberGroup}`, [
      { key: CHANNEL_TAG, values: [channel] },
      { key: MEMBER_GROUP_TAG, values: [memberGroup] },
    ]);
  // Tag bindings may join a channel only where TAG_BINDINGS_ALLOWED lists it: elsewhere, their
  // groups would only be skipped, so they are not looked for.
  for (const b of env)
    if (groupIds.includes(b.scaling_group_id) && allowsChannel(allowed, b))
      addTarget(b.vpc_channel_id, b.member_group_name);
  for (const id of toRead) {
    const tags = await tagsOrNone(client, id);
    if (!isTaggedForBinding(tags)) continue;
    const d = discovered(id, tags);
    found.set(id, d);
    if (d.result.ok && !allowsChannel(allowed, d.result.binding)) continue;
    const channel = tags.find((t) => t.key === CHANNEL_TAG)?.value;
    const memberGroup = tags.find((t) => t.key === MEMBER_GROUP_TAG)?.value;
    if (channel && memberGroup) addTarget(channel, memberGroup);
  }
  for (const filter of targets.values()) {
    for (const g of await client.listGroupsByTags(filter)) {
      if (!found.has(g.scaling_group_id))
        found.set(g.scaling_group_id, discovered(g.scaling_group_id, g.tags));
    }
  }
  return mergeBindings(env, [...found.values()], allowed);
}
