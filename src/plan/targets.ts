import type { ChannelRef } from "../cloud/gateway";
import type { Binding } from "../config/schema";

/**
 * One member group of one channel and every binding that names it. Bindings that share a target
 * (say, one AS group per availability zone) are reconciled together: the desired members are the union.
 */
export interface Target {
  key: string;
  channel: ChannelRef;
  memberGroupName: string;
  bindings: Binding[];
}

/** All targets on one channel: their writes are serialised (concurrent writes fail with APIG.9999). */
export interface ChannelJob {
  key: string;
  channel: ChannelRef;
  targets: Target[];
}

export const channelKey = (c: ChannelRef) => `${c.gateway}/${c.instance_id}/${c.vpc_channel_id}`;

/** How log lines name bindings: `<scaling_group_id>@<channel key>/<member_group_name>`, comma-joined. */
export const bindingKeys = (bindings: readonly Binding[]) =>
  bindings.map((b) => `${b.scaling_group_id}@${channelKey(b)}/${b.member_group_name}`).join(",");

export function groupIntoJobs(bindings: readonly Binding[]): ChannelJob[] {
  const jobs = new Map<string, ChannelJob>();
  for (const b of bindings) {
    const channel: ChannelRef = {
      gateway: b.gateway,
      instance_id: b.instance_id,
      vpc_channel_id: b.vpc_channel_id,
    };
    const ck = channelKey(channel);
    let job = jobs.get(ck);
    if (!job) {
      job = { key: ck, channel, targets: [] };
      jobs.set(ck, job);
    }
    const tk = `${ck}/${b.member_group_name}`;
    let target = job.targets.find((t) => t.key === tk);
    if (!target) {
      target = { key: tk, channel, memberGroupName: b.member_group_name, bindings: [] };
      job.targets.push(target);
    }
    target.bindings.push(b);
  }
  return [...jobs.values()];
}

/**
 * Every binding of the selected groups, and every other binding that shares a channel member group
 * with them: a shared target is only correct when all of its groups are read together.
 */
export function selectBindings(all: readonly Binding[], groups: "all" | readonly string[]): Binding[] {
  if (groups === "all") return [...all];
  const wanted = new Set(groups);
  const targetKeys = new Set(
    all
      .filter((b) => wanted.has(b.scaling_group_id))
      .map((b) => `${b.gateway}/${b.instance_id}/${b.vpc_channel_id}/${b.member_group_name}`),
  );
  return all.filter(
    (b) =>
      wanted.has(b.scaling_group_id) ||
      targetKeys.has(`${b.gateway}/${b.instance_id}/${b.vpc_channel_id}/${b.member_group_name}`),
  );
}
