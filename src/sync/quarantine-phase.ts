import type { GroupInstance } from "../cloud/autoscaling";
import { isBatchActionRefused } from "../cloud/classify";
import { describeError } from "../cloud/errors";
import type { Member } from "../cloud/gateway";
import type { Binding } from "../config/schema";
import type { Logger } from "../observability/logger";
import { bindingMembers, decideQuarantine, UNHEALTHY_SINCE_TAG } from "../plan/decide-quarantine";
import { bindingLabels, channelKey } from "../plan/identity";
import type { Target } from "../plan/targets";
import type { GroupState } from "./group-state";
import type { RunLedger } from "./ledger";
import type { SyncDeps, SyncOptions } from "./types";

const iso = (seconds: number) => new Date(seconds * 1000).toISOString().replace(/\.000Z$/, "Z");

/**
 * replace_unhealthy, the I/O around decideQuarantine: reads the unhealthy-since tags of a binding's
 * members (ECS), keeps them up to date, and moves the instances that stayed unhealthy too long to AS
 * standby with a replacement. Returns the members whose instances went to standby: the caller drains them
 * out of the channel like any member that is no longer desired.
 */
export class QuarantinePhase {
  /** Instances moved to standby this run: a group named by two bindings is asked once. */
  private readonly done = new Set<string>();

  constructor(
    private readonly deps: SyncDeps,
    private readonly opts: SyncOptions,
    private readonly ledger: RunLedger,
    private readonly now: () => number,
  ) {}

  async run(
    target: Target,
    members: readonly Member[],
    groups: ReadonlyMap<string, GroupState | undefined>,
    log: Logger,
  ): Promise<Member[]> {
    if (target.channel.gateway !== "apig") return [];
    const out: Member[] = [];
    for (const binding of target.bindings) {
      const state = groups.get(binding.scaling_group_id);
      if (!binding.replace_unhealthy || !state) continue;
      out.push(...(await this.runBinding(target, binding, members, state.instances, log)));
    }
    return out;
  }

  private async runBinding(
    target: Target,
    binding: Binding,
    listed: readonly Member[],
    groupInstances: readonly GroupInstance[],
    log: Logger,
  ): Promise<Member[]> {
    const settings = binding.replace_unhealthy!;
    const instances = new Map(groupInstances.map((i) => [i.instance_id, i]));
    const members = bindingMembers(listed, instances);
    const context = {
      action: "quarantine",
      binding: bindingLabels([binding]),
      scaling_group_id: binding.scaling_group_id,
    };
    if (members.length === 0) return [];

    let tags: Map<string, string>;
    /** Servers ECS's answers left out: their tags are unknown, not absent. */
    let unread = new Set<string>();
    try {
      const lookup = await this.deps.ecs.serverTags(members.map((m) => m.ecs_id!));
      tags = new Map();
      for (const [id, t] of lookup.found) {
        const since = t.get(UNHEALTHY_SINCE_TAG);
        if (since !== undefined) tags.set(id, since);
      }
      if (lookup.missing) {
        unread = new Set(lookup.missing.ids);
        log.warn("ECS left some members' servers out of its answer; they are not judged this run", {
          ...context,
          instance_ids: lookup.missing.ids,
          error: describeError(lookup.missing),
        });
      }
    } catch (err) {
      // Without the tags nothing can be decided; the next run reads them again. Nothing is lost.
      log.warn("could not read the unhealthy-since tags; no member is judged this run", {
        ...context,
        error: describeError(err),
      });
      return [];
    }

    const decision = decideQuarantine({
      settings,
      members,
      instances,
      tags,
      now: this.now(),
      channelWriteFailed: this.ledger.hasFailed(target.bindings),
    });
    // An unread tag reads as none, which would restart an unhealthy spell at now: leave it as it is.
    // (Without a known start such a member is never a candidate; it still counts in the guard.)
    for (const id of unread) decision.setTags.delete(id);
    if (decision.guard.tripped) {
      this.ledger.addQuarantineGuarded();
      log.warn(
        "more members unhealthy than max_unhealthy_fraction: replacing none (a broken health check or a shared dependency, not sick instances)",
        {
          ...context,
          unhealthy: decision.guard.unhealthy,
          members: decision.guard.members,
          max_unhealthy_fraction: settings.max_unhealthy_fraction,
        },
      );
    }
    if (!this.opts.dryRun) await this.writeTags(decision.setTags, decision.clearTags, context, log);
    for (const h of decision.held) {
      log.info("unhealthy member not quarantined this run", {
        ...context,
        instance_id: h.instanceId,
        reason: h.reason,
      });
    }

    const candidates = decision.quarantine.filter((c) => !this.done.has(c.instanceId));
    if (candidates.length === 0) return [];
    const entries = candidates.map((c) =>
      this.ledger.entry({
        action: "quarantine",
        channel: channelKey(target.channel),
        member_group_name: target.memberGroupName,
        scaling_group_id: binding.scaling_group_id,
        instance_id: c.instanceId,
        ...(c.member.id ? { member_id: c.member.id } : {}),
        reason: c.reason,
      }),
    );
    if (this.opts.dryRun) return candidates.map((c) => c.member);

    const ids = candidates.map((c) => c.instanceId);
    const request = { action: "ENTER_STANDBY", instances_id: ids, instance_append: "yes" };
    try {
      await this.deps.standby.enterStandbyWithReplacement(binding.scaling_group_id, ids);
    } catch (err) {
      if (isBatchActionRefused(err)) {
        for (const e of entries) e.status = "skipped";
        log.warn("AS refused the standby for now (scaling activity or group limits); trying again next run", {
          ...context,
          instance_ids: ids,
          request,
          error: describeError(err),
        });
      } else {
        for (const e of entries) e.status = "failed";
        this.ledger.fail([binding], "quarantine", err, ids);
      }
      return [];
    }
    for (const e of entries) e.status = "done";
    for (const c of candidates) {
      this.done.add(c.instanceId);
      log.info("instance quarantined: moved to AS standby with a replacement; its member is drained out", {
        ...context,
        instance_id: c.instanceId,
        member_id: c.member.id,
        unhealthy_since: iso(c.since),
        reason: c.reason,
        request,
      });
    }
    return candidates.map((c) => c.member);
  }

  /** Tag writes are bookkeeping: a failed one is logged and done again by the next run. */
  private async writeTags(
    set: ReadonlyMap<string, number>,
    clear: readonly string[],
    context: Record<string, unknown>,
    log: Logger,
  ): Promise<void> {
    for (const [id, since] of set) {
      try {
        await this.deps.ecs.setServerTag(id, UNHEALTHY_SINCE_TAG, String(since));
        log.info("member reported unhealthy: remembering since when", {
          ...context,
          instance_id: id,
          unhealthy_since: iso(since),
        });
      } catch (err) {
        log.warn("could not tag an unhealthy member's server", {
          ...context,
          instance_id: id,
          error: describeError(err),
        });
      }
    }
    for (const id of clear) {
      try {
        await this.deps.ecs.deleteServerTag(id, UNHEALTHY_SINCE_TAG);
        log.info("member healthy again: unhealthy-since tag removed", { ...context, instance_id: id });
      } catch (err) {
        log.warn("could not remove the unhealthy-since tag", {
          ...context,
          instance_id: id,
          error: describeError(err),
        });
      }
    }
  }
}
