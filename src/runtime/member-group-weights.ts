import { describeError } from "../cloud/errors";
import type { GatewayClient } from "../cloud/gateway";
import type { Binding } from "../config/schema";
import { GROUP_WEIGHT_EFFECT, weightedGroups } from "../plan/plan-channel";
import { groupIntoJobs } from "../plan/targets";

/**
 * One warning for each bound member group that carries a `member_group_weight` (official SDK
 * `MemberGroupCreate`: "when the group has servers and this weight exists, it is used to assign
 * weights"), and one for each channel that could not be read: one channel read per bound channel.
 */
export async function memberGroupWeightWarnings(
  gateway: GatewayClient,
  bindings: readonly Binding[],
): Promise<string[]> {
  const warnings: string[] = [];
  for (const job of groupIntoJobs(bindings)) {
    try {
      const channel = await gateway.showChannel(job.channel);
      const names = job.targets.map((t) => t.memberGroupName);
      for (const g of weightedGroups(channel, names)) {
        warnings.push(
          `${job.key}: member group ${g.member_group_name} has member_group_weight ${g.weight}: ${GROUP_WEIGHT_EFFECT}`,
        );
      }
    } catch (err) {
      const e = describeError(err);
      warnings.push(`${job.key}: channel not read (${e.code}: ${e.message}); its member groups not checked`);
    }
  }
  return warnings;
}
