import { isAlreadyDeleted, isParameterRefusal, isQuotaExceeded } from "../cloud/classify";
import type { Member, MemberInfo } from "../cloud/gateway";
import type { TargetOutcome } from "../plan/decide-hook";
import { deletesStillDue } from "../plan/deletes-still-due";
import { bindingLabels, channelKey } from "../plan/identity";
import type { Removal, Upsert } from "../plan/plan-members";
import { stepPercent } from "../plan/slow-start";
import type { Target } from "../plan/targets";
import { markAlreadyDone, type PlanEntry } from "../plan/types";
import type { DeadLetterAction } from "../reliability/dead-letter";
import { chunk } from "./concurrency";
import type { RunLedger } from "./ledger";
import type { TargetMembers } from "./member-reads";
import type { DeferredUpsert, RefusedUpsert, TargetRun } from "./target-run";
import type { SyncDeps, SyncOptions } from "./types";

/** A plan entry's slow-start fields: an add at the start weight, or a ramp step, and where in the window. */
function slowStartFields(u: Upsert): Pick<PlanEntry, "to" | "reason" | "slow_start_percent"> {
  if (u.rampStep === undefined || (u.kind !== "add" && u.kind !== "ramp")) return {};
  return {
    ...(u.kind === "add" && u.changes.length === 0 ? { to: { weight: u.weight } } : {}),
    reason: "slow_start",
    slow_start_percent: stepPercent(u.rampStep),
  };
}

/**
 * The writes of one target's run, each recorded in the run ledger: upserts (chunked POSTs), re-enables,
 * batch-disables, deletes and the retry of deferred adds. The reconciler calls them in order and
 * serialised per channel; each reads the run's plan and records into its outcome.
 */
export class MemberWriter {
  constructor(
    private readonly deps: SyncDeps,
    private readonly opts: SyncOptions,
    private readonly ledger: RunLedger,
  ) {}

  /** One log line per write to a target's members: what was done, to which members, for which bindings. */
  private logMembers(
    target: Target,
    action: DeadLetterAction,
    msg: string,
    members: readonly Member[],
  ): void {
    this.deps.logger.info(msg, {
      action,
      channel: channelKey(target.channel),
      binding: bindingLabels(target.bindings),
      member_group_name: target.memberGroupName,
      instance_ids: members.map((m) => m.ecs_id ?? m.id),
    });
  }

  /** The plan entry of an enable, disable or delete of one member. */
  private memberEntry(target: Target, action: "enable" | "disable" | "delete", m: Member): PlanEntry {
    return this.ledger.entry({
      action,
      channel: channelKey(target.channel),
      member_group_name: target.memberGroupName,
      ...(m.ecs_id ? { instance_id: m.ecs_id } : {}),
      member_id: m.id,
    });
  }

  private markLingering(outcome: TargetOutcome, m: Member): void {
    if (m.ecs_id) outcome.lingering.add(m.ecs_id);
  }

  /**
   * Adds and updates, one POST per chunk. The upserts the gateway refuses for its member quota
   * (APIG.3110) while removals are still to come go to `run.deferred`: retryDeferred writes them after
   * the deletes. A chunk refused for the quota with no removals to come fails its adds and writes its
   * updates alone, which the quota does not limit.
   */
  async applyUpserts(run: TargetRun): Promise<void> {
    const { target, plan } = run;
    const items = plan.upserts.map((upsert) => ({
      upsert,
      entry: this.ledger.entry({
        action: upsert.kind,
        channel: channelKey(target.channel),
        member_group_name: target.memberGroupName,
        scaling_group_id: upsert.desired.scaling_group_id,
        instance_id: upsert.desired.ecs_id,
        ...(upsert.member ? { member_id: upsert.member.id } : {}),
        ...(upsert.changes.length > 0 ? { changes: upsert.changes, from: upsert.from, to: upsert.to } : {}),
        ...slowStartFields(upsert),
      }),
    }));
    if (this.opts.dryRun || items.length === 0) return;
    run.deferred = await this.writeUpserts(run, items, plan.removals.length > 0);
  }

  /** Adds refused for the member quota get one more try once the removals have made room. */
  async retryDeferred(run: TargetRun): Promise<void> {
    const items = run.deferred;
    run.deferred = [];
    if (items.length > 0) await this.writeUpserts(run, items, false);
  }

  /**
   * Upserts refused on a guess, written once more as planned again from the channel (`again`: the new
   * upsert of each refused entry); none is sent to `refused` a second time. An entry `again` has no
   * upsert for failed for a reason already dead-lettered (the channel read, or the instance's address),
   * so it only fails. Before the removals, an add refused for the member quota is deferred as in
   * applyUpserts.
   */
  async writeRefusedAgain(
    run: TargetRun,
    refused: readonly RefusedUpsert[],
    again: DeferredUpsert[],
    removalsToCome: boolean,
  ): Promise<void> {
    run.guessed = false;
    for (const r of refused) if (!again.some((a) => a.entry === r.entry)) r.entry.status = "failed";
    if (again.length > 0) run.deferred.push(...(await this.writeUpserts(run, again, removalsToCome)));
  }

  private async writeUpserts(
    run: TargetRun,
    items: DeferredUpsert[],
    deferOnQuota: boolean,
  ): Promise<DeferredUpsert[]> {
    const { target, outcome, log } = run;
    const deferred: DeferredUpsert[] = [];
    for (const batch of chunk(items, this.opts.addChunkSize)) {
      const refusal = run.refused[0]?.error;
      if (refusal !== undefined) {
        // The guess was refused: the chunks after it are written once the channel has been read.
        for (const { upsert: u } of batch) if (u.kind === "add") outcome.present.delete(u.desired.ecs_id);
        run.refused.push(...batch.map((b) => ({ ...b, error: refusal })));
        continue;
      }
      const body: MemberInfo[] = batch.map(({ upsert: u }) => ({
        ecs_id: u.desired.ecs_id,
        ecs_name: u.desired.ecs_name,
        weight: u.weight,
        is_backup: u.desired.is_backup,
        member_group_name: u.desired.member_group_name,
        ...(u.desired.port !== undefined ? { port: u.desired.port } : {}),
        ...(u.host !== undefined ? { host: u.host } : {}),
      }));
      try {
        const returned = await this.deps.gateway.addMembers(target.channel, body);
        // The first echo of each instance in this member group, as a linear search would find it.
        const echoes = new Map<string, Member>();
        for (const m of returned) {
          if (m.ecs_id && m.member_group_name === target.memberGroupName && !echoes.has(m.ecs_id))
            echoes.set(m.ecs_id, m);
        }
        for (const { upsert: u, entry } of batch) {
          outcome.present.set(u.desired.ecs_id, echoes.get(u.desired.ecs_id));
          entry.status = "done";
        }
        log.info("members upserted", {
          action: "add_members",
          binding: bindingLabels(target.bindings),
          member_group_name: target.memberGroupName,
          instance_ids: batch.map(({ upsert }) => upsert.desired.ecs_id),
        });
      } catch (err) {
        for (const { upsert: u } of batch) if (u.kind === "add") outcome.present.delete(u.desired.ecs_id);
        if (deferOnQuota && isQuotaExceeded(err)) {
          log.warn("member quota reached; adding again after the removals", {
            action: "add_members",
            binding: bindingLabels(target.bindings),
            instance_ids: batch.map(({ upsert }) => upsert.desired.ecs_id),
          });
          deferred.push(...batch);
          continue;
        }
        const updates = batch.filter(({ upsert }) => upsert.kind !== "add");
        if (isQuotaExceeded(err) && updates.length > 0 && updates.length < batch.length) {
          // An update does not add to the member count: the chunk was refused for its adds alone.
          this.failUpserts(
            run,
            batch.filter(({ upsert }) => upsert.kind === "add"),
            err,
          );
          log.warn("member quota reached; writing the updates without the adds", {
            action: "update_members",
            binding: bindingLabels(target.bindings),
            instance_ids: updates.map(({ upsert }) => upsert.desired.ecs_id),
          });
          await this.writeUpserts(run, updates, false);
          continue;
        }
        if (run.guessed && isParameterRefusal(err)) {
          run.refused.push(...batch.map((b) => ({ ...b, error: err })));
          continue;
        }
        this.failUpserts(run, batch, err);
      }
    }
    return deferred;
  }

  /** Upserts that failed: their entries, and a dead letter for the adds and one for the updates. */
  private failUpserts(run: TargetRun, items: readonly DeferredUpsert[], err: unknown): void {
    for (const { entry } of items) entry.status = "failed";
    const adds = items.filter(({ upsert }) => upsert.kind === "add").map(({ upsert }) => upsert.desired);
    const updates = items.filter(({ upsert }) => upsert.kind !== "add").map(({ upsert }) => upsert.desired);
    if (adds.length > 0) this.ledger.failInstances(run.target, "add_members", err, adds);
    if (updates.length > 0) this.ledger.failInstances(run.target, "update_members", err, updates);
  }

  async applyEnable(run: TargetRun): Promise<void> {
    const { target, plan, outcome } = run;
    if (plan.enable.length === 0) return;
    const entries = plan.enable.map((m) => this.memberEntry(target, "enable", m));
    if (this.opts.dryRun) return;
    try {
      await this.deps.gateway.setMembersEnabled(
        target.channel,
        plan.enable.map((m) => m.id),
        true,
      );
      for (const e of entries) e.status = "done";
      this.logMembers(target, "enable_members", "members re-enabled", plan.enable);
    } catch (err) {
      for (const e of entries) e.status = "failed";
      for (const m of plan.enable) if (m.ecs_id) outcome.present.delete(m.ecs_id);
      this.ledger.fail(
        target.bindings.slice(0, 1),
        "enable_members",
        err,
        plan.enable.map((m) => m.ecs_id ?? m.id),
      );
    }
  }

  /**
   * Disables the removals that still serve (the plan's, or the given ones: members quarantined after
   * the plan) and queues on `run.toDelete` the members to delete once the drain is over: every removal,
   * already disabled ones included, but those whose disable failed and those found already gone.
   */
  async applyDisable(run: TargetRun, removals: readonly Removal[] = run.plan.removals): Promise<void> {
    const all = removals.map((r) => r.member);
    const toDisable = removals.filter((r) => r.drain).map((r) => r.member);
    const entries = new Map(toDisable.map((m) => [m, this.memberEntry(run.target, "disable", m)]));
    if (this.opts.dryRun || toDisable.length === 0) {
      run.toDelete.push(...all);
      return;
    }
    try {
      const gone = await this.disableStillListed(run, toDisable, entries);
      run.toDelete.push(...all.filter((m) => !gone.includes(m)));
    } catch (err) {
      this.disableFailed(run, toDisable, entries, err);
      run.toDelete.push(...all.filter((m) => !toDisable.includes(m)));
    }
  }

  /**
   * One batch-disable; when a member deleted since the listing fails the whole batch (APIG.3024), lists
   * the group again and disables the ones still there. Returns the members found gone (done, already).
   */
  private async disableStillListed(
    run: TargetRun,
    toDisable: readonly Member[],
    entries: ReadonlyMap<Member, PlanEntry>,
  ): Promise<Member[]> {
    try {
      await this.setDisabled(run, toDisable, entries);
      return [];
    } catch (err) {
      if (!isAlreadyDeleted(err)) throw err;
    }
    const { target } = run;
    const still = new Set(
      (await this.deps.gateway.listGroupMembers(target.channel, target.memberGroupName)).map((m) => m.id),
    );
    const gone = toDisable.filter((m) => !still.has(m.id));
    for (const m of gone) markAlreadyDone(entries.get(m)!);
    const disabling = toDisable.filter((m) => still.has(m.id));
    if (disabling.length > 0) await this.setDisabled(run, disabling, entries);
    return gone;
  }

  /** Disables these members, marks their entries done and logs it. */
  private async setDisabled(
    run: TargetRun,
    members: readonly Member[],
    entries: ReadonlyMap<Member, PlanEntry>,
  ): Promise<void> {
    await this.deps.gateway.setMembersEnabled(
      run.target.channel,
      members.map((m) => m.id),
      false,
    );
    for (const m of members) entries.get(m)!.status = "done";
    this.logMembers(run.target, "disable_members", "members disabled", members);
  }

  /**
   * A failed disable: the entries not already done fail (a member found already gone stays done: it was
   * removed, whatever became of the others), and the members linger for the next run, since a member
   * that still takes traffic is never deleted without its drain.
   */
  private disableFailed(
    run: TargetRun,
    toDisable: readonly Member[],
    entries: ReadonlyMap<Member, PlanEntry>,
    err: unknown,
  ): void {
    for (const e of entries.values()) if (e.status !== "done") e.status = "failed";
    for (const m of toDisable) this.markLingering(run.outcome, m);
    this.ledger.fail(
      run.target.bindings.slice(0, 1),
      "disable_members",
      err,
      toDisable.map((m) => m.ecs_id ?? m.id),
    );
  }

  /**
   * Deletes `run.toDelete` once the channel has drained, acting on a fresh read: the member group is
   * listed again (`relist`, asked only when there is something to delete; see listingOnDemand) and only
   * the members still there and still disabled are deleted (deletesStillDue). When the channel has not
   * drained (no time left), the members stay disabled and linger for a later run.
   */
  async applyDeletes(
    run: TargetRun,
    drained: boolean,
    relist: (target: Target) => Promise<TargetMembers>,
  ): Promise<void> {
    const { target, outcome } = run;
    if (!drained) {
      for (const m of run.toDelete) this.markLingering(outcome, m);
      return;
    }
    const entries = new Map(run.toDelete.map((m) => [m, this.memberEntry(target, "delete", m)]));
    if (this.opts.dryRun || run.toDelete.length === 0) return;
    const fresh = await relist(target);
    if ("error" in fresh) {
      // Nothing is deleted on a plan this old without a look at the group: the next run drains again.
      for (const [m, e] of entries) {
        e.status = "failed";
        this.markLingering(outcome, m);
      }
      this.ledger.fail(
        target.bindings,
        "read_members",
        fresh.error,
        run.toDelete.map((m) => m.ecs_id ?? m.id),
      );
      return;
    }
    const { due, reenabled, gone } = deletesStillDue(run.toDelete, fresh.members);
    for (const m of gone) markAlreadyDone(entries.get(m)!);
    for (const m of reenabled) {
      const e = entries.get(m)!;
      e.status = "skipped";
      e.reason = "enabled again during the drain (by another invocation): left for the next run";
      this.markLingering(outcome, m);
    }
    if (reenabled.length > 0) {
      this.logMembers(
        target,
        "delete_members",
        "members enabled again during the drain are not deleted",
        reenabled,
      );
    }
    await this.deleteMembers(run, due, entries);
  }

  private async deleteMembers(
    run: TargetRun,
    members: readonly Member[],
    entries: ReadonlyMap<Member, PlanEntry>,
  ): Promise<void> {
    const { target, outcome } = run;
    const failed: { member: Member; err: unknown }[] = [];
    const deleted: Member[] = [];
    for (const m of members) {
      const e = entries.get(m)!;
      try {
        await this.deps.gateway.deleteMember(target.channel, m.id);
        e.status = "done";
        deleted.push(m);
      } catch (err) {
        if (isAlreadyDeleted(err)) {
          markAlreadyDone(e);
          continue;
        }
        e.status = "failed";
        this.markLingering(outcome, m);
        failed.push({ member: m, err });
      }
    }
    if (deleted.length > 0) this.logMembers(target, "delete_members", "members deleted", deleted);
    if (failed.length > 0) {
      this.ledger.fail(
        target.bindings.slice(0, 1),
        "delete_members",
        failed[0]!.err,
        failed.map((f) => f.member.ecs_id ?? f.member.id),
      );
    }
  }
}
