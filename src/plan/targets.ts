import type { Binding } from "../config/schema";
import { type ChannelRef, channelKey, targetKey } from "./identity";

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
    const tk = targetKey(b);
    let target = job.targets.find((t) => t.key === tk);
    if (!target) {
      target = { key: tk, channel, memberGroupName: b.member_group_name, bindings: [] };
      job.targets.push(target);
    }
    target.bindings.push(b);
  }
  return [...jobs.values()];
}
