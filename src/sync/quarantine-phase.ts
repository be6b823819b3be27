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
  iso,
  movedSinceRemoval,
  QUARANTINED_AT_TAG,
  readBudget,
  recheckBatch,
} from "../plan/quarantine-budget";
import type { Target } from "../plan/targets";
import type { PlanEntry } from "../plan/types";
import type { GroupState } from "./group-state";
import type { RunLedger } from "./ledger";
import { type Context, readServerMarks, type ServerMarks, writeMark, writeServerMarks } from "./server-marks";
import type { SyncDeps, SyncOptions } from "./types";

/**
 * replace_unhealthy, the I/O around decideQuarantine: reads the unhealthy-since and quarantined-at tags
 * (ECS), keeps them up to date, and moves the instances that stayed unhealthy too long to AS standby with
 * a replacement, within the group's budget. Returns the members whose instances this target's bindings
 * sent to standby (in a dry run, would send); movedFrom names every member of a target whose instance
 * any binding sent. The caller drains them out of the channel like any member that is no longer desired.
 *
 * The budget holds across invocations without any state of our own. Only tagged instances in standby
 * count; each instance is tagged quarantined-at before its ENTER_STANDBY, and right before the
 * ENTER_STANDBY the group and its tags are read again: a tag on an instance in service that the first
 * read did not show is another invocation's quarantine in flight, and counts too. Tags on instances in
 * service that the first read did show are removed, so the re-count can tell them apart; a quarantine
 * in flight whose tag is taken for such a leftover is the one case where two invocations can together
 * exceed the budget, by a bounded amount (docs/replacement-budget.md).
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

    // The members' servers and every instance of the group in service or in standby, one read (per 100
    // servers) for all: the re-count tells a tag written since from one that was there by this read.
    const budgetIds = groupInstances.filter(budgetRelevant).map((i) => i.instance_id);
    let marks: ServerMarks;
    try {
      marks = await readServerMarks(this.deps.ecs, [
        ...new Set([...members.map((m) => m.ecs_id!), ...budgetIds]),
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
    // Instances this run moved to standby for another binding of the group are still in service in the
    // run's listing: they hold budget, and their tags are no leftovers.
    const view = groupInstances.map((i) =>
      this.done.has(i.instance_id) ? { ...i, life_cycle_state: "STANDBY" } : i,
    );
    const decision = decideQuarantine({
      settings,
      members,
      instances,
      tags: marks.unhealthySince,
      now,
      channelWriteFailed: this.ledger.hasFailed(target.bindings),
      budget,
      reading: readBudget(view, marks.quarantinedAt, marks.unread),
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
    const removed = this.opts.dryRun ? [] : await writeServerMarks(this.deps.ecs, decision, context, log);
    for (const h of decision.held) {
      log.info("unhealthy member not quarantined this run", {
        ...context,
        instance_id: h.instanceId,
        reason: h.reason,
      });
    }

    // An instance another binding of the group moved this run is not asked for again (movedFrom drains it).
    const candidates = decision.quarantine.filter((c) => !this.done.has(c.instanceId));
    if (candidates.length === 0) {
      await this.afterRemoval(groupId, removed, context, log);
      return [];
    }
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
    if (this.opts.dryRun) return candidates.map((c) => c.member);
    // What the re-count compares with: this read, less the tags this run removed since.
    const seen = new Map(marks.quarantinedAt);
    for (const id of removed) seen.delete(id);
    const quarantined = await this.quarantine(
      binding,
      candidates,
      entries,
      budget,
      { seen, removed },
      context,
      log,
    );
    return quarantined.map((c) => c.member);
  }

  /**
   * Of a target's listed members, the enabled ones whose instance this run has moved to standby so far,
   * whichever binding moved it: a group bound to several targets leaves them all, including targets
   * without replace_unhealthy and those whose own health check finds the instance healthy.
   */
  movedFrom(members: readonly Member[]): Member[] {
    return members.filter((m) => m.ecs_id && m.status !== 2 && this.done.has(m.ecs_id));
  }

  /**
   * Tag, re-count, act: writes the quarantined-at tags, reads the group and its tags again, and sends
   * the ENTER_STANDBY only when the budget still allows the whole batch, within ACT_WITHIN_SECONDS of
   * the tags. Returns the candidates moved to standby. `first`: what the re-count compares with, and the
   * leftover tags this run removed.
   */
  private async quarantine(
    binding: Binding,
    candidates: readonly QuarantineCandidate[],
    entries: ReadonlyMap<string, PlanEntry>,
    budget: GroupBudget,
    first: { seen: ReadonlyMap<string, string>; removed: readonly string[] },
    context: Context,
    log: Logger,
  ): Promise<QuarantineCandidate[]> {
    const groupId = binding.scaling_group_id;
    const skip = (ids: readonly string[]) => {
      for (const id of ids) entries.get(id)!.status = "skipped";
    };
    const window = this.deps.deadline.within(ACT_WITHIN_SECONDS * 1000);
    const { at, tagged } = await this.tagQuarantined(candidates, context, log);
    skip(candidates.filter((c) => !tagged.includes(c)).map((c) => c.instanceId));
    if (tagged.length === 0) {
      await this.afterRemoval(groupId, first.removed, context, log);
      return [];
    }

    const batch = tagged.map((c) => c.instanceId);
    let check: ReturnType<typeof recheckBatch>;
    try {
      const fresh = await this.deps.autoscaling.listGroupInstances(groupId);
      const back = await this.putBack(first.removed, fresh, context, log);
      const marks = await readServerMarks(
        this.deps.ecs,
        fresh.filter(budgetRelevant).map((i) => i.instance_id),
      );
      // In standby because of a quarantine: it holds budget whether or not the tag's write landed.
      for (const [id, value] of back) if (!marks.quarantinedAt.has(id)) marks.quarantinedAt.set(id, value);
      check = recheckBatch(batch, fresh, marks.quarantinedAt, first.seen, budget, this.now(), marks.unread);
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
    return this.enterStandby(binding, go, at, entries, window, context, log);
  }

  /** Writes the quarantined-at tag `at` on a server: whether it landed (writeMark). */
  private tagQuarantinedAt(
    id: string,
    at: string,
    context: Context,
    log: Logger,
    failed: string,
    done?: string,
  ): Promise<boolean> {
    const write = () => this.deps.ecs.setServerTag(id, QUARANTINED_AT_TAG, at);
    return writeMark(log, context, id, write, failed, done === undefined ? undefined : [done, {}]);
  }

  /** Writes the quarantined-at tag on each candidate; returns its value and the candidates that carry it now. */
  private async tagQuarantined(
    candidates: readonly QuarantineCandidate[],
    context: Context,
    log: Logger,
  ): Promise<{ at: string; tagged: QuarantineCandidate[] }> {
    const at = String(Math.floor(this.now() / 1000));
    const tagged: QuarantineCandidate[] = [];
    for (const c of candidates) {
      // Untagged, a standby instance would hold no budget: no ENTER_STANDBY without the tag.
      const ok = await this.tagQuarantinedAt(
        c.instanceId,
        at,
        context,
        log,
        "could not tag an instance before its quarantine; it is not quarantined this run",
      );
      if (ok) tagged.push(c);
    }
    return { at, tagged };
  }

  /**
   * In a run that removed leftover tags and makes no re-count: lists the group once more, to put back
   * the tags of those instances that another invocation's quarantine moved to standby meanwhile.
   */
  private async afterRemoval(groupId: string, removed: readonly string[], context: Context, log: Logger) {
    if (removed.length === 0) return;
    try {
      await this.putBack(removed, await this.deps.autoscaling.listGroupInstances(groupId), context, log);
    } catch (err) {
      log.warn(
        "could not list the group again after removing quarantined-at tags; one that entered standby meanwhile stays untagged and holds no budget",
        { ...context, instance_ids: removed, error: describeError(err) },
      );
    }
  }

  /**
   * Writes the quarantined-at tag again on the instances whose tag this run removed and that `fresh`, a
   * listing made after the removal, shows in standby: the tag belonged to another invocation's quarantine
   * in flight, which has landed since. Returns them with the value written.
   */
  private async putBack(
    removed: readonly string[],
    fresh: readonly GroupInstance[],
    context: Context,
    log: Logger,
  ): Promise<Map<string, string>> {
    // The quarantine landed after this run's listing, so now is no earlier than its own tag: the cooldown
    // it starts is, if anything, longer.
    const at = String(Math.floor(this.now() / 1000));
    const back = new Map(movedSinceRemoval(removed, fresh).map((id) => [id, at]));
    for (const id of back.keys()) {
      await this.tagQuarantinedAt(
        id,
        at,
        context,
        log,
        "could not put back the quarantined-at tag of an instance that entered standby; it holds no budget until tagged (runbook)",
        "an instance whose quarantined-at tag this run removed has entered standby since: tag put back",
      );
    }
    return back;
  }

  private async enterStandby(
    binding: Binding,
    batch: readonly QuarantineCandidate[],
    at: string,
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
    // Another invocation's first read may have taken a tag for a leftover and removed it between this
    // run's re-count and its ENTER_STANDBY: untagged, the instance would never hold budget again.
    for (const id of ids) {
      await this.tagQuarantinedAt(
        id,
        at,
        context,
        log,
        "could not write the quarantined-at tag again after the standby; if another run removed it, the instance holds no budget until tagged (runbook)",
      );
    }
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
