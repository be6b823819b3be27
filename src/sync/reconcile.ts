import type { AutoScalingClient, GroupInstance, HangingHook, HookResult } from "../cloud/autoscaling";
import type { EcsClient } from "../cloud/ecs";
import { describeError } from "../cloud/errors";
import type { Channel, GatewayClient, Member, MemberInfo } from "../cloud/gateway";
import type { Binding } from "../config/schema";
import type { Logger } from "../observability/logger";
import {
  isAlreadyDeleted,
  isHookAlreadyCompleted,
  isQuotaExceeded,
  isTransient,
} from "../reliability/classify";
import type { DeadLetterAction, DeadLetterSink } from "../reliability/dead-letter";
import type { Deadline } from "../reliability/deadline";
import { attemptsOf } from "../reliability/retry";
import { planChannelSetup } from "./channel-setup";
import { chunk, mapLimit } from "./concurrency";
import { type DesiredMember, desiredMembers } from "./desired";
import { type GroupState, GroupStateReader } from "./group-state";
import { channelsToRead, decideHook, type TargetOutcome } from "./hooks";
import { type MemberType, planTarget, type TargetPlan, type Upsert } from "./plan";
import { bindingKeys, type ChannelJob, channelKey, groupIntoJobs, type Target } from "./targets";

export interface SyncDeps {
  gateway: GatewayClient;
  autoscaling: AutoScalingClient;
  ecs: EcsClient;
  logger: Logger;
  deadline: Deadline;
  deadLetters: DeadLetterSink;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export interface SyncOptions {
  dryRun: boolean;
  /** Channels reconciled at once; writes within one channel are always serialised. */
  channelConcurrency: number;
  /** Members per POST. */
  addChunkSize: number;
  /** Time kept back after a drain wait for the deletes and hook callbacks that follow it. */
  drainReserveMs: number;
  /** How often to re-read APIG member health while a launch hook waits for `healthy`. */
  healthPollIntervalMs: number;
  /** How long one invocation may wait for health before leaving the hook to the next run. */
  healthWaitMaxMs: number;
}

export const DEFAULT_SYNC_OPTIONS: SyncOptions = {
  dryRun: false,
  channelConcurrency: 4,
  addChunkSize: 100,
  drainReserveMs: 5_000,
  healthPollIntervalMs: 5_000,
  healthWaitMaxMs: 30_000,
};

export type PlanAction =
  | "update_channel"
  | "add"
  | "update"
  | "enable"
  | "disable"
  | "delete"
  | "complete_hook"
  | "wait_hook"
  | "fan_out";

export interface PlanEntry {
  action: PlanAction;
  channel: string;
  member_group_name?: string;
  scaling_group_id?: string;
  /** fan_out: the groups handed to one backfill invocation. */
  scaling_group_ids?: string[];
  instance_id?: string;
  member_id?: string;
  changes?: string[];
  result?: HookResult;
  reason?: string;
  status: "planned" | "done" | "failed" | "skipped";
}

export interface SyncCounts {
  bindings: number;
  added: number;
  updated: number;
  removed: number;
  disabled: number;
  unchanged: number;
  hooks_completed: number;
}

export type BindingOutcome = "ok" | "transient" | "permanent";

export interface SyncResult {
  counts: SyncCounts;
  plan: PlanEntry[];
  outcomes: Map<Binding, BindingOutcome>;
}

/** An upsert and its plan entry, kept together so a retry after the removals updates the same entry. */
interface DeferredUpsert {
  upsert: Upsert;
  entry: PlanEntry;
}

interface PendingHook {
  groupId: string;
  hook: HangingHook;
  instance: GroupInstance | undefined;
  targets: TargetOutcome[];
}

const sleepMs = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Level-triggered reconcile of the given bindings, channel by channel and several channels at once:
 * read the channel's members, then its groups' instances and hanging hooks (in that order, so a member
 * another invocation just added can never look stray), plan by identity and apply; then complete the
 * lifecycle hooks that are ready.
 */
export async function reconcile(
  bindings: readonly Binding[],
  deps: SyncDeps,
  options: Partial<SyncOptions> = {},
): Promise<SyncResult> {
  return new Reconciler(deps, { ...DEFAULT_SYNC_OPTIONS, ...options }).run(bindings);
}

class Reconciler {
  private readonly plan: PlanEntry[] = [];
  private readonly counts: SyncCounts = {
    bindings: 0,
    added: 0,
    updated: 0,
    removed: 0,
    disabled: 0,
    unchanged: 0,
    hooks_completed: 0,
  };
  private readonly outcomes = new Map<Binding, BindingOutcome>();
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly deps: SyncDeps,
    private readonly opts: SyncOptions,
  ) {
    this.now = deps.now ?? Date.now;
    this.sleep = deps.sleep ?? sleepMs;
  }

  async run(bindings: readonly Binding[]): Promise<SyncResult> {
    this.counts.bindings = bindings.length;
    for (const b of bindings) this.outcomes.set(b, "ok");
    const jobs = groupIntoJobs(bindings);
    const reader = new GroupStateReader(this.deps.autoscaling);

    // Each channel on its own, as many at once as allowed: no barrier between channels.
    const results = await mapLimit(jobs, this.opts.channelConcurrency, async (job) =>
      this.runJob(job, ...(await this.readJobState(job, reader))),
    );

    // 4. Lifecycle hooks, once every target of their group has had its turn.
    await this.completeHooks(results.flat(), await reader.settled());
    return { counts: this.counts, plan: this.plan, outcomes: this.outcomes };
  }

  private fail(
    bindings: readonly Binding[],
    action: DeadLetterAction,
    err: unknown,
    instanceIds: string[],
  ): void {
    const transient = isTransient(err);
    for (const b of bindings) {
      const prev = this.outcomes.get(b);
      if (prev === "ok" || prev === undefined) this.outcomes.set(b, transient ? "transient" : "permanent");
      else if (prev === "transient" && !transient) this.outcomes.set(b, "permanent");
      this.deps.deadLetters.add({
        action,
        binding: b,
        instanceIds,
        error: describeError(err),
        attempts: attemptsOf(err),
      });
    }
  }

  /** Splits a failure over the bindings the instances came from (a shared target has several). */
  private failInstances(
    target: Target,
    action: DeadLetterAction,
    err: unknown,
    members: DesiredMember[],
  ): void {
    const byGroup = new Map<string, string[]>();
    for (const m of members)
      byGroup.set(m.scaling_group_id, [...(byGroup.get(m.scaling_group_id) ?? []), m.ecs_id]);
    for (const [groupId, ids] of byGroup) {
      const binding = target.bindings.find((b) => b.scaling_group_id === groupId) ?? target.bindings[0]!;
      this.fail([binding], action, err, ids);
    }
  }

  private entry(e: Omit<PlanEntry, "status">): PlanEntry {
    const full: PlanEntry = { ...e, status: "planned" };
    this.plan.push(full);
    return full;
  }

  /**
   * A channel's members first, then its groups (see GroupStateReader for why the order matters).
   * Failed reads are dead-lettered here; runJob skips the targets they leave without state.
   */
  private async readJobState(
    job: ChannelJob,
    reader: GroupStateReader,
  ): Promise<[Map<Target, Member[] | undefined>, Map<string, GroupState | undefined>]> {
    const actual = new Map<Target, Member[] | undefined>();
    for (const t of job.targets) {
      try {
        actual.set(t, await this.deps.gateway.listGroupMembers(t.channel, t.memberGroupName));
      } catch (err) {
        actual.set(t, undefined);
        this.fail(t.bindings, "read_members", err, []);
      }
    }
    const listedAt = reader.mark();
    const groups = new Map<string, GroupState | undefined>();
    const bindings = job.targets.filter((t) => actual.get(t) !== undefined).flatMap((t) => t.bindings);
    for (const id of new Set(bindings.map((b) => b.scaling_group_id))) {
      try {
        groups.set(id, await reader.read(id, listedAt));
      } catch (err) {
        groups.set(id, undefined);
        this.fail(
          bindings.filter((b) => b.scaling_group_id === id),
          "read_instances",
          err,
          [],
        );
      }
    }
    return [actual, groups];
  }

  private async runJob(
    job: ChannelJob,
    actual: Map<Target, Member[] | undefined>,
    groups: Map<string, GroupState | undefined>,
  ): Promise<TargetOutcome[]> {
    const log = this.deps.logger.child({
      channel: job.key,
      binding: bindingKeys(job.targets.flatMap((t) => t.bindings)),
    });
    const outcomes: TargetOutcome[] = [];
    const ready: { target: Target; members: Member[]; desired: DesiredMember[] }[] = [];
    for (const target of job.targets) {
      const members = actual.get(target);
      const states = target.bindings.map((b) => groups.get(b.scaling_group_id));
      if (members === undefined || states.some((s) => s === undefined)) {
        outcomes.push({ target, failed: true, present: new Map(), lingering: new Set(), channel: undefined });
        continue;
      }
      const instancesByGroup = new Map(
        target.bindings.map((b) => [b.scaling_group_id, groups.get(b.scaling_group_id)!.instances]),
      );
      ready.push({ target, members, desired: desiredMembers(target.bindings, instancesByGroup) });
    }
    if (ready.length === 0) return outcomes;

    // First pass without the channel: a converged target needs no channel read at all.
    const noIps = new Map<string, string>();
    let plans = ready.map((r) =>
      planTarget({ desired: r.desired, actual: r.members, memberType: undefined, ips: noIps }),
    );
    const healthCheck = job.targets.flatMap((t) => t.bindings).find((b) => b.health_check)?.health_check;
    const mustReadChannel =
      healthCheck !== undefined ||
      plans.some((p) => p.needsMemberType) ||
      ready.some((r) => r.members.length === 0 && r.desired.length > 0);

    let channel: Channel | undefined;
    if (mustReadChannel) {
      try {
        channel = await this.deps.gateway.showChannel(job.channel);
      } catch (err) {
        this.fail(
          ready.flatMap((r) => r.target.bindings),
          "read_channel",
          err,
          [],
        );
        for (const r of ready) {
          outcomes.push({
            target: r.target,
            failed: true,
            present: new Map(),
            lingering: new Set(),
            channel: undefined,
          });
        }
        return outcomes;
      }
      const setup = planChannelSetup(
        channel,
        ready.map((r) => r.target.memberGroupName),
        healthCheck,
      );
      if (setup) {
        const e = this.entry({
          action: "update_channel",
          channel: job.key,
          reason: [
            ...setup.missingGroups.map((g) => `create member group ${g}`),
            ...(setup.healthCheckChanged ? ["set health check"] : []),
          ].join(", "),
        });
        if (!this.opts.dryRun) {
          try {
            channel = { ...channel, ...(await this.deps.gateway.updateChannel(job.channel, setup.update)) };
            e.status = "done";
            log.info("channel updated", { action: "update_channel", reason: e.reason });
          } catch (err) {
            e.status = "failed";
            this.fail(
              ready.flatMap((r) => r.target.bindings),
              "update_channel",
              err,
              [],
            );
            // Without its member group no member can be added; the other steps still run.
          }
        }
      }
    }

    const memberType: MemberType | undefined =
      channel === undefined ? undefined : channel.member_type === "ip" ? "ip" : "ecs";
    let ips = noIps;
    if (memberType !== undefined) {
      plans = ready.map((r) => planTarget({ desired: r.desired, actual: r.members, memberType, ips }));
      const need = [...new Set(plans.flatMap((p) => p.needsAddress))];
      if (need.length > 0) {
        let lookupFailed = false;
        try {
          ips = await this.deps.ecs.privateAddresses(need);
        } catch (err) {
          lookupFailed = true;
          for (const r of ready) {
            const missing = r.desired.filter((d) => need.includes(d.ecs_id));
            if (missing.length > 0) this.failInstances(r.target, "resolve_address", err, missing);
          }
        }
        plans = ready.map((r) => planTarget({ desired: r.desired, actual: r.members, memberType, ips }));
        if (!lookupFailed) {
          for (const [i, p] of plans.entries()) {
            const unresolved = ready[i]!.desired.filter((d) => p.needsAddress.includes(d.ecs_id));
            if (unresolved.length > 0) {
              this.failInstances(
                ready[i]!.target,
                "resolve_address",
                new Error("ECS reports no private IPv4 address for the instance"),
                unresolved,
              );
            }
          }
        }
      }
    }

    const drainQueue: {
      target: Target;
      plan: TargetPlan;
      outcome: TargetOutcome;
      toDelete: Member[];
      justDisabled: Member[];
      deferred: DeferredUpsert[];
    }[] = [];
    for (const [i, r] of ready.entries()) {
      const plan = plans[i]!;
      const outcome: TargetOutcome = {
        target: r.target,
        failed: false,
        present: new Map(plan.memberFor),
        lingering: new Set(),
        channel,
      };
      outcomes.push(outcome);
      this.counts.unchanged += plan.unchanged;
      const deferred = await this.applyUpserts(r.target, plan, outcome, log);
      await this.applyEnable(r.target, plan, outcome);
      const { toDelete, justDisabled } = await this.applyDisable(r.target, plan, outcome);
      drainQueue.push({ target: r.target, plan, outcome, toDelete, justDisabled, deferred });
    }

    // One drain wait for the whole channel, bounded by the time left.
    const justDisabled = drainQueue.filter((d) => d.justDisabled.length > 0);
    let drained = true;
    if (justDisabled.length > 0 && !this.opts.dryRun) {
      const drainMs =
        Math.max(...justDisabled.map((d) => Math.max(...d.target.bindings.map((b) => b.drain_seconds)))) *
        1000;
      const available = this.deps.deadline.remainingMs() - this.opts.drainReserveMs;
      if (drainMs <= available) {
        if (drainMs > 0) {
          log.info("draining disabled members", { action: "drain", drain_ms: drainMs });
          await this.sleep(drainMs);
        }
      } else {
        drained = false;
        log.warn("not enough time left to drain; disabled members stay and the next run deletes them", {
          action: "drain",
          drain_ms: drainMs,
          remaining_ms: this.deps.deadline.remainingMs(),
        });
      }
    }
    for (const d of drainQueue) {
      const deletable = drained ? d.toDelete : d.toDelete.filter((m) => !d.justDisabled.includes(m));
      for (const m of d.toDelete) if (!deletable.includes(m)) this.markLingering(d.outcome, m);
      await this.applyDeletes(d.target, deletable, d.outcome);
      // Adds refused for the member quota get one more try once the removals have made room.
      if (d.deferred.length > 0) await this.writeUpserts(d.target, d.deferred, d.outcome, log, false);
    }
    return outcomes;
  }

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

  private markLingering(outcome: TargetOutcome, m: Member): void {
    if (m.ecs_id) outcome.lingering.add(m.ecs_id);
  }

  /**
   * Adds and updates, one POST per chunk. Returns the upserts the gateway refused for its member quota
   * (APIG.3110) while removals are still to come: they are retried after the deletes.
   */
  private async applyUpserts(
    target: Target,
    plan: TargetPlan,
    outcome: TargetOutcome,
    log: Logger,
  ): Promise<DeferredUpsert[]> {
    const items = plan.upserts.map((upsert) => ({
      upsert,
      entry: this.entry({
        action: upsert.kind,
        channel: channelKey(target.channel),
        member_group_name: target.memberGroupName,
        scaling_group_id: upsert.desired.scaling_group_id,
        instance_id: upsert.desired.ecs_id,
        ...(upsert.member ? { member_id: upsert.member.id } : {}),
        ...(upsert.changes.length > 0 ? { changes: upsert.changes } : {}),
      }),
    }));
    if (this.opts.dryRun || items.length === 0) return [];
    return this.writeUpserts(target, items, outcome, log, plan.removals.length > 0);
  }

  private async writeUpserts(
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
        for (const { upsert: u, entry } of batch) {
          const echoed = returned.find(
            (m) => m.ecs_id === u.desired.ecs_id && m.member_group_name === u.desired.member_group_name,
          );
          outcome.present.set(u.desired.ecs_id, echoed);
          if (u.kind === "add") this.counts.added += 1;
          else this.counts.updated += 1;
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
        if (adds.length > 0) this.failInstances(target, "add_members", err, adds);
        if (updates.length > 0) this.failInstances(target, "update_members", err, updates);
      }
    }
    return deferred;
  }

  private async applyEnable(target: Target, plan: TargetPlan, outcome: TargetOutcome): Promise<void> {
    if (plan.enable.length === 0) return;
    const entries = plan.enable.map((m) =>
      this.entry({
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
      this.counts.updated += plan.enable.length;
      for (const e of entries) e.status = "done";
      this.logMembers(target, "enable_members", "members re-enabled", plan.enable);
    } catch (err) {
      for (const e of entries) e.status = "failed";
      for (const m of plan.enable) if (m.ecs_id) outcome.present.delete(m.ecs_id);
      this.fail(
        target.bindings.slice(0, 1),
        "enable_members",
        err,
        plan.enable.map((m) => m.ecs_id ?? m.id),
      );
    }
  }

  private async applyDisable(
    target: Target,
    plan: TargetPlan,
    outcome: TargetOutcome,
  ): Promise<{ toDelete: Member[]; justDisabled: Member[] }> {
    const toDisable = plan.removals.filter((r) => r.drain).map((r) => r.member);
    const entries = toDisable.map((m) =>
      this.entry({
        action: "disable",
        channel: channelKey(target.channel),
        member_group_name: target.memberGroupName,
        ...(m.ecs_id ? { instance_id: m.ecs_id } : {}),
        member_id: m.id,
      }),
    );
    const all = plan.removals.map((r) => r.member);
    if (this.opts.dryRun || toDisable.length === 0) return { toDelete: all, justDisabled: toDisable };
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
        this.counts.removed += gone.length;
        for (const [i, m] of toDisable.entries()) if (gone.includes(m)) entries[i]!.status = "done";
        disabling = disabling.filter((m) => still.has(m.id));
        if (disabling.length > 0) {
          await this.deps.gateway.setMembersEnabled(
            target.channel,
            disabling.map((m) => m.id),
            false,
          );
        }
        const remaining = all.filter((m) => !gone.includes(m));
        this.counts.disabled += disabling.length;
        for (const [i, m] of toDisable.entries()) if (disabling.includes(m)) entries[i]!.status = "done";
        if (disabling.length > 0) this.logMembers(target, "disable_members", "members disabled", disabling);
        return { toDelete: remaining, justDisabled: disabling };
      }
      this.counts.disabled += disabling.length;
      for (const e of entries) e.status = "done";
      this.logMembers(target, "disable_members", "members disabled", disabling);
      return { toDelete: all, justDisabled: disabling };
    } catch (err) {
      for (const e of entries) e.status = "failed";
      // Never delete a member that still takes traffic without its drain: leave it for the next run.
      for (const m of toDisable) this.markLingering(outcome, m);
      this.fail(
        target.bindings.slice(0, 1),
        "disable_members",
        err,
        toDisable.map((m) => m.ecs_id ?? m.id),
      );
      return { toDelete: all.filter((m) => !toDisable.includes(m)), justDisabled: [] };
    }
  }

  private async applyDeletes(target: Target, members: Member[], outcome: TargetOutcome): Promise<void> {
    const failed: { member: Member; err: unknown }[] = [];
    const deleted: Member[] = [];
    for (const m of members) {
      const e = this.entry({
        action: "delete",
        channel: channelKey(target.channel),
        member_group_name: target.memberGroupName,
        ...(m.ecs_id ? { instance_id: m.ecs_id } : {}),
        member_id: m.id,
      });
      if (this.opts.dryRun) continue;
      try {
        await this.deps.gateway.deleteMember(target.channel, m.id);
        this.counts.removed += 1;
        e.status = "done";
        deleted.push(m);
      } catch (err) {
        if (isAlreadyDeleted(err)) {
          this.counts.removed += 1;
          e.status = "done";
          continue;
        }
        e.status = "failed";
        this.markLingering(outcome, m);
        failed.push({ member: m, err });
      }
    }
    if (deleted.length > 0) this.logMembers(target, "delete_members", "members deleted", deleted);
    if (failed.length > 0) {
      this.fail(
        target.bindings.slice(0, 1),
        "delete_members",
        failed[0]!.err,
        failed.map((f) => f.member.ecs_id ?? f.member.id),
      );
    }
  }

  /**
   * Decides and completes the lifecycle hooks of every group, once all their targets are done. Launch
   * hooks that only wait for an APIG member to report `healthy` are polled for a bounded time, so a
   * healthy instance goes into service in seconds rather than at the next timer run.
   */
  private async completeHooks(
    outcomes: TargetOutcome[],
    groups: Map<string, GroupState | undefined>,
  ): Promise<void> {
    const pending: PendingHook[] = [];
    for (const [groupId, state] of groups) {
      if (!state) continue;
      const targets = outcomes.filter((o) => o.target.bindings.some((b) => b.scaling_group_id === groupId));
      const byId = new Map(state.instances.map((i) => [i.instance_id, i]));
      for (const hook of state.hooks)
        pending.push({ groupId, hook, instance: byId.get(hook.instance_id), targets });
    }
    // Whether "unknown" health is final depends on the channel's health check: read it if not yet read.
    for (const t of channelsToRead(pending)) {
      try {
        t.channel = await this.deps.gateway.showChannel(t.target.channel);
      } catch (err) {
        this.deps.logger.warn("could not read the channel for a launch hook's health rule", {
          action: "read_channel",
          channel: channelKey(t.target.channel),
          error: describeError(err),
        });
      }
    }
    let waitedMs = 0;
    while (pending.length > 0) {
      const waitingOnHealth: PendingHook[] = [];
      for (const p of pending.splice(0)) {
        const decision = decideHook(p.hook, p.instance, p.targets, this.now());
        if (decision.result !== undefined) await this.completeHook(p, decision.result, decision.reason);
        else if (decision.healthWait) waitingOnHealth.push(p);
        else this.recordHookWait(p, decision.reason);
      }
      const canWait =
        !this.opts.dryRun &&
        waitedMs + this.opts.healthPollIntervalMs <= this.opts.healthWaitMaxMs &&
        this.deps.deadline.remainingMs() > this.opts.healthPollIntervalMs + this.opts.drainReserveMs;
      if (waitingOnHealth.length === 0 || !canWait) {
        for (const p of waitingOnHealth)
          this.recordHookWait(p, decideHook(p.hook, p.instance, p.targets, this.now()).reason);
        return;
      }
      await this.sleep(this.opts.healthPollIntervalMs);
      waitedMs += this.opts.healthPollIntervalMs;
      await this.refreshHealth(waitingOnHealth);
      pending.push(...waitingOnHealth);
    }
  }

  /** Re-lists the members of the APIG targets these hooks wait on, to see their current health. */
  private async refreshHealth(waiting: PendingHook[]): Promise<void> {
    const targets = new Set(
      waiting.flatMap((p) => p.targets).filter((t) => t.target.channel.gateway === "apig"),
    );
    for (const t of targets) {
      try {
        const members = await this.deps.gateway.listGroupMembers(t.target.channel, t.target.memberGroupName);
        for (const m of members) if (m.ecs_id && t.present.has(m.ecs_id)) t.present.set(m.ecs_id, m);
      } catch (err) {
        // Health is re-read by the next run; a failed poll is not worth a dead letter.
        this.deps.logger.warn("could not re-read member health", {
          action: "poll_health",
          channel: channelKey(t.target.channel),
          error: describeError(err),
        });
      }
    }
  }

  private hookEntryBase(p: PendingHook) {
    return {
      channel: p.targets.map((t) => channelKey(t.target.channel)).join(","),
      scaling_group_id: p.groupId,
      instance_id: p.hook.instance_id,
    };
  }

  private hookBindings(p: PendingHook): string {
    return bindingKeys(
      p.targets.flatMap((t) => t.target.bindings.filter((b) => b.scaling_group_id === p.groupId)),
    );
  }

  private recordHookWait(p: PendingHook, reason: string): void {
    this.entry({ action: "wait_hook", ...this.hookEntryBase(p), reason }).status = "skipped";
    this.deps.logger.info("lifecycle hook left waiting", {
      action: "wait_hook",
      binding: this.hookBindings(p),
      scaling_group_id: p.groupId,
      instance_id: p.hook.instance_id,
      lifecycle_hook_name: p.hook.lifecycle_hook_name,
      reason,
    });
  }

  private async completeHook(p: PendingHook, result: HookResult, reason: string): Promise<void> {
    const e = this.entry({ action: "complete_hook", ...this.hookEntryBase(p), result, reason });
    if (this.opts.dryRun) return;
    try {
      await this.deps.autoscaling.completeHook(p.hook, result);
      this.counts.hooks_completed += 1;
      e.status = "done";
      this.deps.logger.info("lifecycle hook completed", {
        action: "complete_hook",
        binding: this.hookBindings(p),
        scaling_group_id: p.groupId,
        instance_id: p.hook.instance_id,
        lifecycle_hook_name: p.hook.lifecycle_hook_name,
        result,
        reason,
      });
    } catch (err) {
      if (isHookAlreadyCompleted(err)) {
        e.status = "done";
        return;
      }
      e.status = "failed";
      const binding = p.targets[0]?.target.bindings.find((b) => b.scaling_group_id === p.groupId);
      if (binding) this.fail([binding], "complete_hook", err, [p.hook.instance_id]);
    }
  }
}
