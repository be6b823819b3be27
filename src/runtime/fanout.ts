import { isTransient } from "../cloud/classify";
import { describeError } from "../cloud/errors";
import type { FunctionGraphClient } from "../cloud/functiongraph";
import { attemptsOf } from "../cloud/retry";
import type { Binding } from "../config/schema";
import type { Logger } from "../observability/logger";
import { countsOf } from "../plan/counts";
import { channelKey } from "../plan/identity";
import type { BindingOutcome, PlanEntry, SyncResult } from "../plan/types";
import type { DeadLetterSink } from "../reliability/dead-letter";

/**
 * Splits bindings into shards of scaling group ids, each the payload of one `backfill` invocation.
 * Bindings that share a channel stay in one shard: a shared member group is only correct when all its
 * groups are read together, and writes to one channel must not race between invocations.
 */
export function shardGroups(bindings: readonly Binding[], shardSize: number): string[][] {
  // Union-find over scaling groups, joined by the channels they write to.
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    let root = x;
    while (parent.get(root) !== root) root = parent.get(root)!;
    parent.set(x, root);
    return root;
  };
  const union = (a: string, b: string) => parent.set(find(a), find(b));
  const firstOnChannel = new Map<string, string>();
  for (const b of bindings) {
    if (!parent.has(b.scaling_group_id)) parent.set(b.scaling_group_id, b.scaling_group_id);
    const key = channelKey(b);
    const other = firstOnChannel.get(key);
    if (other === undefined) firstOnChannel.set(key, b.scaling_group_id);
    else union(other, b.scaling_group_id);
  }

  const components = new Map<string, { groups: string[]; bindings: number }>();
  for (const b of bindings) {
    const root = find(b.scaling_group_id);
    const c = components.get(root) ?? { groups: [], bindings: 0 };
    if (!c.groups.includes(b.scaling_group_id)) c.groups.push(b.scaling_group_id);
    c.bindings += 1;
    components.set(root, c);
  }

  // First-fit by binding count, in config order; a component larger than a shard gets one of its own.
  const shards: { groups: string[]; bindings: number }[] = [];
  for (const c of components.values()) {
    const fit = shards.find((s) => s.bindings + c.bindings <= shardSize);
    if (fit) {
      fit.groups.push(...c.groups);
      fit.bindings += c.bindings;
    } else shards.push({ groups: [...c.groups], bindings: c.bindings });
  }
  return shards.map((s) => s.groups);
}

/**
 * `reconcile` past the threshold: one asynchronous `backfill` invocation per shard instead of doing
 * all the work in this one. A shard that cannot be queued is dead-lettered with its bindings.
 */
export async function fanOut(
  bindings: readonly Binding[],
  shardSize: number,
  deps: {
    functionGraph: FunctionGraphClient;
    functionUrn: string;
    deadLetters: DeadLetterSink;
    logger: Logger;
  },
): Promise<SyncResult> {
  const plan: PlanEntry[] = [];
  const outcomes = new Map<Binding, BindingOutcome>(bindings.map((b) => [b, "ok"]));
  for (const groups of shardGroups(bindings, shardSize)) {
    const inShard = bindings.filter((b) => groups.includes(b.scaling_group_id));
    const entry: PlanEntry = {
      action: "fan_out",
      channel: [...new Set(inShard.map((b) => channelKey(b)))].join(","),
      scaling_group_ids: groups,
      status: "planned",
    };
    plan.push(entry);
    try {
      const requestId = await deps.functionGraph.invokeAsync(deps.functionUrn, { scaling_group_ids: groups });
      entry.status = "done";
      deps.logger.info("shard handed to backfill", {
        action: "fan_out",
        scaling_group_ids: groups,
        bindings: inShard.length,
        backfill_request_id: requestId,
      });
    } catch (err) {
      entry.status = "failed";
      const transient = isTransient(err);
      for (const b of inShard) {
        outcomes.set(b, transient ? "transient" : "permanent");
        deps.deadLetters.add({
          action: "fan_out",
          binding: b,
          error: describeError(err),
          attempts: attemptsOf(err),
        });
      }
    }
  }
  return {
    counts: countsOf(plan, bindings.length),
    plan,
    outcomes,
  };
}
