import type { Member, MemberInfo } from "../cloud/gateway";
import type { Logger } from "../observability/logger";
import { isAlreadyDeleted, isQuotaExceeded } from "../reliability/classify";
import type { DeadLetterAction } from "../reliability/dead-letter";
import { chunk } from "./concurrency";
import type { TargetOutcome } from "./hooks";
import type { RunLedger } from "./ledger";
import type { TargetPlan, Upsert } from "./plan";
import { bindingKeys, channelKey, type Target } from "./targets";
import type { PlanEntry, SyncDeps, SyncOptions } from "./types";

export /** An upsert and its plan entry, kept together so a retry after the removals updates the same entry. */
interface DeferredUpsert {
  upsert: Upsert;
  entry: PlanEntry;
}

/**
 * The writes of one target's plan, each recorded in the run ledger: upserts (chunked POSTs), re-enables,
 * batch-disables and deletes. The reconciler calls them in order and serialised per channel.
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
      binding: bindingKeys(target.bindings),
      member_group_name: target.memberGroupName,
      instance_ids: members.map((m) => m.ecs_id ?? m.id),
    });
  }

  markLingering(outcome: TargetOutcome, m: Member): void {
    if (m.ecs_id) outcome.lingering.add(m.ecs_id);
  }

  /**
   * Adds and updates, one POST per chunk. Returns the upserts the gateway refused for its member quota
   * (APIG.3110) while removals are still to come: they are retried after the deletes.
   */
  async applyUpserts(
    target: Target,
    plan: TargetPlan,
    outcome: TargetOutcome,
    log: Logger,
  ): Promise<DeferredUpsert[]> {
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
      }),
    }));
    if (this.opts.dryRun || items.length === 0) return [];
    return this.writeUpserts(target, items, outcome, log, plan.removals.length > 0);
  }

  async writeUpserts(
    target: Target,
    items: DeferredUpsert[],
    outcome: TargetOutcome,
    log: Logger,
    deferOnQuota: boolean,
  ): Promise<DeferredUpsert[]> {
    const deferred: DeferredUpsert[] = [];
    for (const batch of chunk(items, this.opts.addChunkSize)) {
      const body: MemberInfo[] = batch.map(({ upsert: u }) => ({
        ecs_id: u.desired.ecs_id,
        ecs_name: u.desired.ecs_name,
        weight: u.desired.weight,
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
          binding: bindingKeys(target.bindings),
          member_group_name: target.memberGroupName,
          instance_ids: batch.map(({ upsert }) => upsert.desired.ecs_id),
        });
      } catch (err) {
        for (const { upsert: u } of batch) if (u.kind === "add") outcome.present.delete(u.desired.ecs_id);
        if (deferOnQuota && isQuotaExceeded(err)) {
          log.warn("member quota reached; adding again after the removals", {
            action: "add_members",
            binding: bindingKeys(target.bindings),
            instance_ids: batch.map(({ upsert }) => upsert.desired.ecs_id),
          });
          deferred.push(...batch);
          continue;
        }
        for (const { entry } of batch) entry.status = "failed";
        const adds = batch.filter(({ upsert }) => upsert.kind === "add").map(({ upsert }) => upsert.desired);
        const updates = batch
          .filter(({ upsert }) => upsert.kind === "update")
          .map(({ upsert }) => upsert.desired);
        if (adds.length > 0) this.ledger.failInstances(target, "add_members", err, adds);
        if (updates.length > 0) this.ledger.failInstances(target, "update_members", err, updates);
      }
    }
    return deferred;
  }

  async applyEnable(target: Target, plan: TargetPlan, outcome: TargetOutcome): Promise<void> {
    if (plan.enable.length === 0) return;
    const entries = plan.enable.map((m) =>
      this.ledger.entry({
        action: "enable",
        channel: channelKey(target.channel),
        member_group_name: target.memberGroupName,
        ...(m.ecs_id ? { instance_id: m.ecs_id } : {}),
        member_id: m.id,
      }),
    );
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
   * Disables the removals that still serve. Returns the members to delete once the drain is over: every
   * removal, already disabled ones included, but those whose disable failed.
   */
  async applyDisable(target: Target, plan: TargetPlan, outcome: TargetOutcome): Promise<Member[]> {
    const toDisable = plan.removals.filter((r) => r.drain).map((r) => r.member);
    const entries = toDisable.map((m) =>
      this.ledger.entry({
        action: "disable",
        channel: channelKey(target.channel),
        member_group_name: target.memberGroupName,
        ...(m.ecs_id ? { instance_id: m.ecs_id } : {}),
        member_id: m.id,
      }),
    );
    const all = plan.removals.map((r) => r.member);
    if (this.opts.dryRun || toDisable.length === 0) return all;
    try {
      let disabling = toDisable;
      try {
        await this.deps.gateway.setMembersEnabled(
          target.channel,
          disabling.map((m) => m.id),
          false,
        );
      } catch (err) {
        // One member deleted since the listing fails the whole batch: disable the ones still there.
        if (!isAlreadyDeleted(err)) throw err;
        const still = new Set(
          (await this.deps.gateway.listGroupMembers(target.channel, target.memberGroupName)).map((m) => m.id),
        );
        const gone = disabling.filter((m) => !still.has(m.id));
        for (const [i, m] of toDisable.entries()) {
          if (gone.includes(m)) Object.assign(entries[i]!, { status: "done", already_done: true });
        }
        disabling = disabling.filter((m) => still.has(m.id));
        if (disabling.length > 0) {
          await this.deps.gateway.setMembersEnabled(
            target.channel,
            disabling.map((m) => m.id),
            false,
          );
        }
        const remaining = all.filter((m) => !gone.includes(m));
        for (const [i, m] of toDisable.entries()) if (disabling.includes(m)) entries[i]!.status = "done";
        if (disabling.length > 0) this.logMembers(target, "disable_members", "members disabled", disabling);
        return remaining;
      }
      for (const e of entries) e.status = "done";
      this.logMembers(target, "disable_members", "members disabled", disabling);
      return all;
    } catch (err) {
      // A member found already gone stays done: it was removed, whatever became of the others.
      for (const e of entries) if (e.status !== "done") e.status = "failed";
      // Never delete a member that still takes traffic without its drain: leave it for the next run.
      for (const m of toDisable) this.markLingering(outcome, m);
      this.ledger.fail(
        target.bindings.slice(0, 1),
        "disable_members",
        err,
        toDisable.map((m) => m.ecs_id ?? m.id),
      );
      return all.filter((m) => !toDisable.includes(m));
    }
  }

  async applyDeletes(target: Target, members: Member[], outcome: TargetOutcome): Promise<void> {
    const failed: { member: Member; err: unknown }[] = [];
    const deleted: Member[] = [];
    for (const m of members) {
      const e = this.ledger.entry({
        action: "delete",
        channel: channelKey(target.channel),
        member_group_name: target.memberGroupName,
        ...(m.ecs_id ? { instance_id: m.ecs_id } : {}),
        member_id: m.id,
      });
      if (this.opts.dryRun) continue;
      try {
        await this.deps.gateway.deleteMember(target.channel, m.id);
        e.status = "done";
        deleted.push(m);
      } catch (err) {
        if (isAlreadyDeleted(err)) {
          e.status = "done";
          e.already_done = true;
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
