import type { GroupInstance, HangingHook, HookResult } from "../cloud/autoscaling";
import { isHookAlreadyCompleted } from "../cloud/classify";
import { describeError } from "../cloud/errors";
import type { Member } from "../cloud/gateway";
import {
  channelsToRead,
  completesTerminateHook,
  decideHook,
  memberListed,
  type TargetOutcome,
} from "../plan/decide-hook";
import { bindingLabels, channelKey } from "../plan/identity";
import { markAlreadyDone } from "../plan/types";
import type { GroupState } from "./group-state";
import type { RunLedger } from "./ledger";
import { listTargetMembers } from "./member-reads";
import type { SyncDeps, SyncOptions } from "./types";

interface PendingHook {
  groupId: string;
  hook: HangingHook;
  instance: GroupInstance | undefined;
  targets: TargetOutcome[];
}

/** The last step of a run: lifecycle hooks, decided once every channel of their group is done. */
export class HookPhase {
  constructor(
    private readonly deps: SyncDeps,
    private readonly opts: SyncOptions,
    private readonly ledger: RunLedger,
    private readonly now: () => number,
    private readonly sleep: (ms: number) => Promise<void>,
  ) {}

  /**
   * Decides and completes the lifecycle hooks of every group, once all their targets are done. Launch
   * hooks that only wait for an APIG member to report `healthy` are polled for a bounded time, so a
   * healthy instance goes into service in seconds rather than at the next timer run.
   */
  async run(outcomes: TargetOutcome[], groups: Map<string, GroupState | undefined>): Promise<void> {
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
      const waitingOnHealth: { hook: PendingHook; reason: string }[] = [];
      const terminating: { hook: PendingHook; reason: string }[] = [];
      for (const p of pending.splice(0)) {
        const decision = decideHook(p.hook, p.instance, p.targets, this.now());
        if (completesTerminateHook(p.instance, decision))
          terminating.push({ hook: p, reason: decision.reason });
        else if (decision.result !== undefined) await this.completeHook(p, decision.result, decision.reason);
        else if (decision.healthWait) waitingOnHealth.push({ hook: p, reason: decision.reason });
        else this.recordHookWait(p, decision.reason);
      }
      await this.completeTerminateHooks(terminating);
      const canWait =
        !this.opts.dryRun &&
        waitedMs + this.opts.healthPollIntervalMs <= this.opts.healthWaitMaxMs &&
        this.deps.deadline.remainingMs() > this.opts.healthPollIntervalMs + this.opts.drainReserveMs;
      if (waitingOnHealth.length === 0 || !canWait) {
        for (const w of waitingOnHealth) this.recordHookWait(w.hook, w.reason);
        return;
      }
      await this.sleep(this.opts.healthPollIntervalMs);
      waitedMs += this.opts.healthPollIntervalMs;
      const waiting = waitingOnHealth.map((w) => w.hook);
      await this.refreshHealth(waiting);
      pending.push(...waiting);
    }
  }

  /**
   * Completes terminate hooks whose members this run removed, on a read made after the deletes: their
   * member groups are listed once more (only when such a hook waits; a channel's groups together, as in
   * listTargetMembers), and a hook continues only
   * when no listing holds a member of its instance. Something may have put one back since our delete
   * (another invocation that saw the instance in an older AS read, an operator): AS would then
   * terminate an instance that still takes traffic.
   */
  private async completeTerminateHooks(
    hooks: readonly { hook: PendingHook; reason: string }[],
  ): Promise<void> {
    if (hooks.length === 0) return;
    const listings = new Map<TargetOutcome, Member[] | undefined>();
    if (!this.opts.dryRun) {
      const byChannel = new Map<string, TargetOutcome[]>();
      for (const t of new Set(hooks.flatMap((h) => h.hook.targets))) {
        const key = channelKey(t.target.channel);
        byChannel.set(key, [...(byChannel.get(key) ?? []), t]);
      }
      for (const outcomes of byChannel.values()) {
        const targets = outcomes.map((o) => o.target);
        const { byTarget } = await listTargetMembers(this.deps.gateway, targets[0]!.channel, targets);
        for (const t of outcomes) {
          const listed = byTarget.get(t.target)!;
          if ("members" in listed) {
            listings.set(t, listed.members);
            continue;
          }
          // The hook waits; the next run reads again. Not worth a dead letter.
          listings.set(t, undefined);
          this.deps.logger.warn("could not re-read a member group before completing a terminate hook", {
            action: "read_members",
            channel: channelKey(t.target.channel),
            member_group_name: t.target.memberGroupName,
            error: describeError(listed.error),
          });
        }
      }
    }
    for (const { hook, reason } of hooks) {
      const read = hook.targets.map((t) => listings.get(t));
      if (this.opts.dryRun) await this.completeHook(hook, "CONTINUE", reason);
      else if (read.some((members) => members === undefined))
        this.recordHookWait(hook, "its member group could not be read again after the deletes");
      else if (memberListed(hook.hook.instance_id, read as Member[][]))
        this.recordHookWait(hook, "a member of the instance is listed again after the deletes");
      else await this.completeHook(hook, "CONTINUE", reason);
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
    return bindingLabels(
      p.targets.flatMap((t) => t.target.bindings.filter((b) => b.scaling_group_id === p.groupId)),
    );
  }

  private recordHookWait(p: PendingHook, reason: string): void {
    this.ledger.entry({ action: "wait_hook", ...this.hookEntryBase(p), reason }).status = "skipped";
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
    const e = this.ledger.entry({ action: "complete_hook", ...this.hookEntryBase(p), result, reason });
    if (this.opts.dryRun) return;
    try {
      await this.deps.autoscaling.completeHook(p.hook, result);
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
        markAlreadyDone(e);
        return;
      }
      e.status = "failed";
      const binding = p.targets[0]?.target.bindings.find((b) => b.scaling_group_id === p.groupId);
      if (binding) this.ledger.fail([binding], "complete_hook", err, [p.hook.instance_id]);
    }
  }
}
