import type { GroupInstance } from "../cloud/autoscaling";
import { isBatchActionRefused } from "../cloud/classify";
import type { Deadline } from "../cloud/deadline";
import { DeadlineExceededError, describeError } from "../cloud/errors";
import type { Member } from "../cloud/gateway";
import type { Binding } from "../config/schema";
import type { Logger } from "../observability/logger";
import { bindingMembers, decideQuarantine, type QuarantineCandidate } from "../plan/decide-quarantine";
import { bindingLabels, channelKey } from "../plan/identity";
import {
  ACT_WITHIN_SECONDS,
  budgetRelevant,
  type GroupBudget,
  groupBudgets,
  isInStandby,
  QUARANTINED_AT_TAG,
  readBudget,
  recheckBatch,
} from "../plan/quarantine-budget";
import type { Target } from "../plan/targets";
import type { PlanEntry } from "../plan/types";
import type { GroupState } from "./group-state";
import type { RunLedger } from "./ledger";
import { type Context, readServerMarks, type ServerMarks, writeServerMarks } from "./server-marks";
import type { SyncDeps, SyncOptions } from "./types";

const iso = (seconds: number) => new Date(seconds * 1000).toISOString().replace(/\.000Z$/, "Z");

/**
 * replace_unhealthy, the I/O around decideQuarantine: reads the unhealthy-since and quarantined-at tags
 * (ECS), keeps them up to date, and moves the instances that stayed unhealthy too long to AS standby with
 * a replacement, within the group's budget. Returns the members whose instances went to standby: the
 * caller drains them out of the channel like any member that is no longer desired.
 *
 * The budget holds across invocations without any state of our own: each instance is tagged
 * quarantined-at before its ENTER_STANDBY, and right before the ENTER_STANDBY the group and its tags
 * are read again. Of two invocations that quarantine at once, the one that tagged last sees the other's
 * tags in that re-count (written before it read) and counts them; so whatever they do together stays
 * within max_in_standby and cooldown_seconds (README, "Replacing unhealthy instances").
 */
export class QuarantinePhase {
  /** Instances moved to standby this run: a group named by two bindings is asked once. */
  private readonly done = new Set<string>();
  /** Per group, the end of the quarantine step in progress: one binding of a group at a time. */
  private readonly turns = new Map<string, Promise<unknown>>();
  private readonly budgets: Map<string, GroupBudget>;

  constructor(
    private readonly deps: SyncDeps,
    private readonly opts: SyncOptions,
    private readonly ledger: RunLedger,
    private readonly now: () => number,
    bindings: readonly Binding[],
  ) {
    this.budgets = groupBudgets(bindings);
  }

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
      const step = () => this.runBinding(target, binding, members, state.instances, log);
      out.push(...(await this.inTurn(binding.scaling_group_id, step)));
    }
    return out;
  }

  /**
   * Runs `step` once the group's previous step is over: two channels of one run that quarantine in the
   * same group would otherwise each see the other's fresh tags in the re-count, and both hold back.
   */
  private inTurn<T>(groupId: string, step: () => Promise<T>): Promise<T> {
    const result = (this.turns.get(groupId) ?? Promise.resolve()).then(step);
    this.turns.set(
      groupId,
      result.catch(() => undefined),
    );
    return result;
  }

  private async runBinding(
    target: Target,
    binding: Binding,
    listed: readonly Member[],
    groupInstances: readonly GroupInstance[],
    log: Logger,
  ): Promise<Member[]> {
    const settings = binding.replace_unhealthy!;
    const groupId = binding.scaling_group_id;
    const instances = new Map(groupInstances.map((i) => [i.instance_id, i]));
    const members = bindingMembers(listed, instances);
    const context: Context = {
      action: "quarantine",
      binding: bindingLabels([binding]),
      scaling_group_id: groupId,
    };
    if (members.length === 0) return [];

    // The members' servers and the group's instances in standby: one read (per 100 servers) for both.
    const standby = groupInstances.filter(isInStandby).map((i) => i.instance_id);
    let marks: ServerMarks;
    try {
      marks = await readServerMarks(this.deps.ecs, [
        ...new Set([...members.map((m) => m.ecs_id!), ...standby]),
      ]);
      if (marks.unread.size > 0) {
        log.warn("ECS left some servers out of its answer; they are not judged this run, nor is the budget", {
          ...context,
          instance_ids: [...marks.unread],
          error: describeError(marks.missing),
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

    const now = this.now();
    const budget = this.budgets.get(groupId)!;
    const decision = decideQuarantine({
      settings,
      members,
      instances,
      tags: marks.unhealthySince,
      now,
      channelWriteFailed: this.ledger.hasFailed(target.bindings),
      budget,
      reading: readBudget(groupInstances, marks.quarantinedAt, now, marks.unread),
    });
    // An unread tag reads as none, which would restart an unhealthy spell at now: leave it as it is.
    // (Without a known start such a member is never a candidate; it still counts in the guard.)
    for (const id of marks.unread) decision.setTags.delete(id);
    if (decision.guard.tripped) {
      this.ledger.addQuarantineGuarded();
      log.warn(
        "more members unhealthy than max_unhealthy_fraction: replacing none (a broken health check or a shared dependency, not sick instances)",
        {
          ...context,
          unhealthy: decision.guard.unhealthy,
          members: decision.guard.members,
          unknown: decision.guard.unknown,
          max_unhealthy_fraction: settings.max_unhealthy_fraction,
        },
      );
    }
    if (!this.opts.dryRun) await writeServerMarks(this.deps.ecs, decision, context, log);
    for (const h of decision.held) {
      log.info("unhealthy member not quarantined this run", {
        ...context,
        instance_id: h.instanceId,
        reason: h.reason,
      });
    }

    // An instance another binding of the group moved this run is drained from this channel too.
    const moved = decision.quarantine.filter((c) => this.done.has(c.instanceId)).map((c) => c.member);
    const candidates = decision.quarantine.filter((c) => !this.done.has(c.instanceId));
    if (candidates.length === 0) return moved;
    const entries = new Map(
      candidates.map((c) => [
        c.instanceId,
        this.ledger.entry({
          action: "quarantine",
          channel: channelKey(target.channel),
          member_group_name: target.memberGroupName,
          scaling_group_id: groupId,
          instance_id: c.instanceId,
          ...(c.member.id ? { member_id: c.member.id } : {}),
          reason: c.reason,
        }),
      ]),
    );
    if (this.opts.dryRun) return [...moved, ...candidates.map((c) => c.member)];
    const quarantined = await this.quarantine(binding, candidates, entries, budget, context, log);
    return [...moved, ...quarantined.map((c) => c.member)];
  }

  /**
   * Tag, re-count, act: writes the quarantined-at tags, reads the group and its tags again, and sends
   * the ENTER_STANDBY only when the budget still allows the whole batch, within ACT_WITHIN_SECONDS of
   * the tags. Returns the candidates moved to standby.
   */
  private async quarantine(
    binding: Binding,
    candidates: readonly QuarantineCandidate[],
    entries: ReadonlyMap<string, PlanEntry>,
    budget: GroupBudget,
    context: Context,
    log: Logger,
  ): Promise<QuarantineCandidate[]> {
    const groupId = binding.scaling_group_id;
    const skip = (ids: readonly string[]) => {
      for (const id of ids) entries.get(id)!.status = "skipped";
    };
    const window = this.deps.deadline.within(ACT_WITHIN_SECONDS * 1000);
    const tagged = await this.tagQuarantined(candidates, context, log);
    skip(candidates.filter((c) => !tagged.includes(c)).map((c) => c.instanceId));
    if (tagged.length === 0) return [];

    const batch = tagged.map((c) => c.instanceId);
    let check: ReturnType<typeof recheckBatch>;
    try {
      const fresh = await this.deps.autoscaling.listGroupInstances(groupId);
      const marks = await readServerMarks(
        this.deps.ecs,
        fresh.filter(budgetRelevant).map((i) => i.instance_id),
      );
      check = recheckBatch(batch, fresh, marks.quarantinedAt, budget, this.now(), marks.unread);
    } catch (err) {
      skip(batch);
      log.warn("could not re-count the group's replacement budget; quarantining none this run", {
        ...context,
        instance_ids: batch,
        error: describeError(err),
      });
      return [];
    }
    skip(check.dropped);
    if (check.refusal !== undefined) {
      log.warn("the group's replacement budget is taken: quarantining none this run", {
        ...context,
        instance_ids: batch,
        reason: check.refusal,
      });
      return [];
    }
    const go = tagged.filter((c) => check.go.includes(c.instanceId));
    return this.enterStandby(binding, go, entries, window, context, log);
  }

  /** Writes the quarantined-at tag on each candidate; returns those that carry it now. */
  private async tagQuarantined(
    candidates: readonly QuarantineCandidate[],
    context: Context,
    log: Logger,
  ): Promise<QuarantineCandidate[]> {
    const at = String(Math.floor(this.now() / 1000));
    const tagged: QuarantineCandidate[] = [];
    for (const c of candidates) {
      try {
        await this.deps.ecs.setServerTag(c.instanceId, QUARANTINED_AT_TAG, at);
        tagged.push(c);
      } catch (err) {
        // Untagged, a standby instance would hold no budget: no ENTER_STANDBY without the tag.
        log.warn("could not tag an instance before its quarantine; it is not quarantined this run", {
          ...context,
          instance_id: c.instanceId,
          error: describeError(err),
        });
      }
    }
    return tagged;
  }

  private async enterStandby(
    binding: Binding,
    batch: readonly QuarantineCandidate[],
    entries: ReadonlyMap<string, PlanEntry>,
    window: Deadline,
    context: Context,
    log: Logger,
  ): Promise<QuarantineCandidate[]> {
    const ids = batch.map((c) => c.instanceId);
    const request = { action: "ENTER_STANDBY", instances_id: ids, instance_append: "yes" };
    const setStatus = (status: PlanEntry["status"]) => {
      for (const id of ids) entries.get(id)!.status = status;
    };
    try {
      await this.deps.standby.enterStandbyWithReplacement(binding.scaling_group_id, ids, window);
    } catch (err) {
      const lateForTags = err instanceof DeadlineExceededError && !this.deps.deadline.expired();
      if (isBatchActionRefused(err) || lateForTags) {
        setStatus("skipped");
        log.warn(
          lateForTags
            ? "the standby could not be sent soon enough after the quarantined-at tags; trying again next run"
            : "AS refused the standby for now (scaling activity or group limits); trying again next run",
          { ...context, instance_ids: ids, request, error: describeError(err) },
        );
      } else {
        setStatus("failed");
        this.ledger.fail([binding], "quarantine", err, ids);
      }
      return [];
    }
    setStatus("done");
    for (const c of batch) {
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
    return [...batch];
  }
}
