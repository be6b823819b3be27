import type { GroupInstance } from "../cloud/autoscaling";
import type { ServerLookup } from "../cloud/ecs";
import { describeError } from "../cloud/errors";
import type { Channel, Member } from "../cloud/gateway";
import type { Binding, HealthCheck } from "../config/schema";
import type { Logger } from "../observability/logger";
import { cut } from "../observability/scrub";
import type { TargetOutcome } from "../plan/decide-hook";
import { type DesiredMember, desiredMembers } from "../plan/desired";
import { bindingLabels, channelKey } from "../plan/identity";
import { MANAGED_REMARK, memberGroupOwnership, ownershipCheckDue } from "../plan/ownership";
import { GROUP_WEIGHT_EFFECT, planChannelSetup, weightedGroups } from "../plan/plan-channel";
import {
  changesMembers,
  drainPlan,
  healthRuleDecides,
  type MemberType,
  memberTypeOfListing,
  type PlanInput,
  planTarget,
  type TargetPlan,
} from "../plan/plan-members";
import { type ChannelJob, groupIntoJobs, type Target } from "../plan/targets";
import type { SyncResult } from "../plan/types";
import type { DeadLetterCode } from "../reliability/dead-letter-codes";
import { MemberWriter } from "./apply";
import { mapLimit } from "./concurrency";
import { type GroupState, GroupStateReader } from "./group-state";
import { HealthCheckMemory } from "./health-check-memory";
import { HookPhase } from "./hook-phase";
import { RunLedger } from "./ledger";
import { listingOnDemand, listTargetMembers } from "./member-reads";
import { QuarantinePhase } from "./quarantine-phase";
import { type DeferredUpsert, startTargetRun, type TargetRun } from "./target-run";
import { DEFAULT_SYNC_OPTIONS, type SyncDeps, type SyncOptions } from "./types";

const sleepMs = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** What one channel's reads gave. */
interface JobState {
  /** Members per target; undefined where the listing failed. */
  actual: Map<Target, Member[] | undefined>;
  /** The member type the listed members prove (other groups' members too), if any. */
  listedType: MemberType | undefined;
  /** Per scaling group; undefined where the read failed. */
  groups: Map<string, GroupState | undefined>;
  /** The channel read, started beside the AS reads (see readJobState for when), or later when needed. */
  channel: Promise<Channel> | undefined;
  /** The channel read and set up (prepareChannel), once: shared by the steps that need it. */
  prepared: Promise<Channel | undefined> | undefined;
  /** This run compares the channel's health check with its bindings' (HealthCheckMemory says it is due). */
  compareHealth: boolean;
}

/** A target with what it holds and what it should hold. */
interface TargetState {
  target: Target;
  members: Member[];
  desired: DesiredMember[];
}

/** A target with its listed members and the members its bindings' groups want. */
function targetState(
  target: Target,
  members: Member[],
  groups: ReadonlyMap<string, GroupState | undefined>,
): TargetState {
  const instancesByGroup = new Map(
    target.bindings.map((b) => [b.scaling_group_id, groups.get(b.scaling_group_id)?.instances ?? []]),
  );
  return { target, members, desired: desiredMembers(target.bindings, instancesByGroup) };
}

/**
 * Whether a target would add into a member group the run does not know exists (its listing is empty):
 * a dry run reads the channel for it, so that its plan shows the group's creation.
 */
const addsIntoUnknownGroup = ({ members, desired }: TargetState): boolean =>
  members.length === 0 && desired.length > 0;

const jobHealthCheck = (job: ChannelJob): HealthCheck | undefined =>
  job.targets.flatMap((t) => t.bindings).find((b) => b.health_check)?.health_check;

/**
 * Whether planning needs the channel before it writes: a health check to compare (due by
 * HealthCheckMemory, or because the member groups change: new members are checked from now on), a
 * port change whose meaning depends on a member type the listing does not prove, or (APIG, slow start)
 * a member reported `unknown` whose raise depends on whether the channel checks health. Whether the
 * member group exists and which member type the adds take are not reasons: the adds are written as an
 * `ecs` channel takes them, and a refusal makes the run read the channel then (retryRefused). From part
 * of the instances (`partial`) this can only say yes too early, never wrongly: more instances only add
 * to what is needed.
 */
function channelNeeded(
  job: ChannelJob,
  states: readonly Omit<TargetState, "target">[],
  listedType: MemberType | undefined,
  compareHealth: boolean,
  now: number,
  partial = false,
): boolean {
  if (compareHealth) return true;
  const healthCheck = jobHealthCheck(job) !== undefined;
  return states.some((s) => {
    const input = { desired: s.desired, actual: s.members, memberType: listedType, ips: new Map(), now };
    const plan = planTarget({ ...input, healthChecked: healthCheck });
    if (plan.needsMemberType || (healthCheck && changesMembers(plan, partial))) return true;
    return !healthCheck && job.channel.gateway === "apig" && healthRuleDecides(input, plan);
  });
}

/** What HealthCheckMemory knows a channel's wanted health check by. */
const healthCheckKey = (job: ChannelJob, healthCheck: HealthCheck): string =>
  `${job.key} ${JSON.stringify(healthCheck)}`;

const memberTypeOf = (channel: Channel): MemberType => (channel.member_type === "ip" ? "ip" : "ecs");

/** The clock a channel's plans are read off, and whether its members' health is checked. */
const planClock = (job: ChannelJob, channel: Channel | undefined, now: number) => ({
  now,
  healthChecked: jobHealthCheck(job) !== undefined || Boolean(channel?.vpc_health_config),
});

const failedOutcome = (target: Target): TargetOutcome => ({
  target,
  failed: true,
  present: new Map(),
  lingering: new Set(),
  channel: undefined,
});

/**
 * Level-triggered reconcile of the given bindings, channel by channel and several channels at once:
 * read the channel's members, then its groups' instances (and hanging hooks where an instance waits on
 * one; in that order, so a member another invocation just added can never look stray), plan by
 * identity and apply; then complete the lifecycle hooks that are ready.
 */
export async function reconcile(
  bindings: readonly Binding[],
  deps: SyncDeps,
  options: Partial<SyncOptions> = {},
): Promise<SyncResult> {
  return new Reconciler(bindings, deps, { ...DEFAULT_SYNC_OPTIONS, ...options }).run();
}

class Reconciler {
  private readonly ledger: RunLedger;
  private readonly writer: MemberWriter;
  private readonly quarantine: QuarantinePhase;
  private readonly healthChecks: HealthCheckMemory;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly bindings: readonly Binding[],
    private readonly deps: SyncDeps,
    private readonly opts: SyncOptions,
  ) {
    this.ledger = new RunLedger(bindings, deps.deadLetters);
    this.writer = new MemberWriter(deps, opts, this.ledger);
    this.now = deps.now ?? Date.now;
    this.sleep = deps.sleep ?? sleepMs;
    this.quarantine = new QuarantinePhase(deps, opts, this.ledger, this.now, bindings);
    // Without a memory of its own (a warm instance's), a run compares every health check it enforces.
    this.healthChecks = deps.healthChecks ?? new HealthCheckMemory(0);
  }

  async run(): Promise<SyncResult> {
    const jobs = groupIntoJobs(this.bindings);
    const reader = new GroupStateReader(this.deps.autoscaling, this.opts.hooksAtOnce);

    // Each channel on its own, as many at once as allowed: no barrier between channels.
    const results = await mapLimit(jobs, this.opts.maxConcurrency, async (job) =>
      this.runJob(job, await this.readJobState(job, reader)),
    );

    // Lifecycle hooks last, once every channel of their group has had its turn.
    await new HookPhase(this.deps, this.opts, this.ledger, this.now, this.sleep).run(
      results.flat(),
      await reader.settled(),
    );
    return this.ledger.result();
  }

  /**
   * A channel's members first (listTargetMembers: per group, or the whole channel where that reads
   * fewer pages), then its groups (see GroupStateReader for why the order matters), and the channel
   * itself beside the groups as soon as it is known to be needed: at once for a health check due for
   * comparison, else once a first page of instances shows what only the channel can settle
   * (channelNeeded) or a tag binding with a write due (the ownership check). Failed reads are
   * dead-lettered here; runJob skips the targets they leave without state.
   */
  private async readJobState(job: ChannelJob, reader: GroupStateReader): Promise<JobState> {
    const listing = await listTargetMembers(this.deps.gateway, job.channel, job.targets);
    const actual = new Map<Target, Member[] | undefined>();
    for (const t of job.targets) {
      const listed = listing.byTarget.get(t)!;
      if ("members" in listed) actual.set(t, listed.members);
      else {
        actual.set(t, undefined);
        this.ledger.fail(t.bindings, "read_members", listed.error, []);
      }
    }
    const listedAt = reader.mark();
    const bindings = job.targets.filter((t) => actual.get(t) !== undefined).flatMap((t) => t.bindings);
    const reads = new Map(
      [...new Set(bindings.map((b) => b.scaling_group_id))].map((id) => [id, reader.read(id, listedAt)]),
    );

    const listedType = memberTypeOfListing(listing.seen);
    const healthCheck = jobHealthCheck(job);
    const state: JobState = {
      actual,
      listedType,
      groups: new Map(),
      channel: undefined,
      prepared: undefined,
      compareHealth:
        healthCheck !== undefined && this.healthChecks.due(healthCheckKey(job, healthCheck), this.now()),
    };
    const seen = new Map<string, readonly GroupInstance[]>();
    const readChannelIfNeeded = () => {
      if (state.channel !== undefined) return;
      const states = job.targets.flatMap((target) => {
        const members = actual.get(target);
        return members === undefined
          ? []
          : [{ target, members, desired: desiredMembers(target.bindings, seen) }];
      });
      const consentDue = states.some((s) => this.consentDue(s, listedType, false, true));
      if (consentDue || channelNeeded(job, states, listedType, false, this.now(), true))
        this.channelRead(job, state);
    };
    // A health check to compare needs the channel whatever the instances show, and so, almost always,
    // does a tag binding's empty member group (its first deploy: the ownership check, and the group to
    // create): the read starts now, beside the AS reads, and costs no round trip of its own. The cost: an
    // empty tag-bound group of an empty scaling group reads its channel once a run.
    const emptyTagBound = job.targets.some(
      (t) => actual.get(t)?.length === 0 && t.bindings.some((b) => this.opts.tagBound.has(b)),
    );
    if (state.compareHealth || emptyTagBound) this.channelRead(job, state);
    await Promise.all(
      [...reads].map(([id, read]) =>
        read.firstPage.then(
          (page) => {
            seen.set(id, page);
            readChannelIfNeeded();
          },
          () => undefined,
        ),
      ),
    );

    for (const [id, read] of reads) {
      try {
        state.groups.set(id, await read.state);
      } catch (err) {
        state.groups.set(id, undefined);
        this.ledger.fail(
          bindings.filter((b) => b.scaling_group_id === id),
          "read_instances",
          err,
          [],
        );
      }
    }
    return state;
  }

  /**
   * The channel, read and set up once for the job (prepareChannel), for whichever step needs it first:
   * planning, or the upserts the gateway refused on a guess (retryRefused).
   */
  private prepared(
    job: ChannelJob,
    state: JobState,
    ready: readonly TargetState[],
    log: Logger,
  ): Promise<Channel | undefined> {
    state.prepared ??= this.prepareChannel(job, state, ready, log);
    return state.prepared;
  }

  /**
   * Takes the channel read and, when a member group is missing or the health check differs, sets it up
   * with the two narrow writes (member-groups add-or-update, then health-config), serialised with
   * the channel's member writes. A health check found as wanted, or set, is remembered as such
   * (HealthCheckMemory). Undefined when the channel cannot be read (dead-lettered for every binding).
   */
  private async prepareChannel(
    job: ChannelJob,
    state: JobState,
    ready: readonly TargetState[],
    log: Logger,
  ): Promise<Channel | undefined> {
    const bindings = ready.flatMap((r) => r.target.bindings);
    const healthCheck = jobHealthCheck(job);
    let channel: Channel;
    try {
      channel = await this.channelRead(job, state);
    } catch (err) {
      this.ledger.fail(bindings, "read_channel", err, []);
      return undefined;
    }
    // A group whose listing shows members exists; of the others, only those with members to add matter.
    const inDoubt = ready.filter(addsIntoUnknownGroup).map((r) => r.target.memberGroupName);
    this.warnGroupWeights(channel, ready, log);
    const setup = planChannelSetup(channel, inDoubt, healthCheck);
    const healthKey = healthCheck === undefined ? undefined : healthCheckKey(job, healthCheck);
    const healthConfirmed = () => {
      if (healthKey !== undefined && !this.opts.dryRun) this.healthChecks.confirmed(healthKey, this.now());
    };
    if (!setup) {
      healthConfirmed();
      return channel;
    }
    const e = this.ledger.entry({
      action: "update_channel",
      channel: job.key,
      reason: [
        ...setup.missingGroups.map((g) => `create member group ${g}`),
        ...(setup.healthCheck ? ["set health check"] : []),
      ].join(", "),
    });
    if (this.opts.dryRun) return channel;
    let failure: unknown;
    if (setup.missingGroups.length > 0) {
      try {
        // The remark marks the group as ours: tag bindings may then write to it (../plan/ownership.ts).
        const groups = setup.missingGroups.map((name) => ({
          member_group_name: name,
          member_group_remark: MANAGED_REMARK,
        }));
        await this.deps.gateway.createMemberGroups(job.channel, groups);
        channel = { ...channel, member_groups: [...(channel.member_groups ?? []), ...groups] };
      } catch (err) {
        failure = err;
      }
    }
    if (setup.healthCheck) {
      try {
        await this.deps.gateway.updateHealthCheck(job.channel, setup.healthCheck);
        channel = { ...channel, vpc_health_config: setup.healthCheck };
        healthConfirmed();
      } catch (err) {
        if (healthKey !== undefined) this.healthChecks.forget(healthKey);
        failure ??= err;
      }
    } else healthConfirmed();
    if (failure === undefined) {
      e.status = "done";
      log.info("channel set up", { action: "update_channel", reason: e.reason });
    } else {
      // Without its member group no member can be added; the other steps still run.
      e.status = "failed";
      this.ledger.fail(bindings, "update_channel", failure, []);
    }
    return channel;
  }

  /**
   * A member group with a `member_group_weight` has the gateway assign its members' weights from it
   * (official SDK `MemberGroupInfo.member_group_weight`: "when the group has servers and this weight
   * exists, it is used to assign weights"), which overrides the binding's `weight` and slow start. The
   * groups this function creates carry none; one an operator gave a weight is worth a warning, once a
   * channel read shows it.
   */
  private warnGroupWeights(channel: Channel, ready: readonly { target: Target }[], log: Logger): void {
    for (const g of weightedGroups(
      channel,
      ready.map((r) => r.target.memberGroupName),
    )) {
      log.warn(
        `member group ${g.member_group_name} has member_group_weight ${g.weight}: ${GROUP_WEIGHT_EFFECT}`,
        { action: "read_channel", member_group_name: g.member_group_name, member_group_weight: g.weight },
      );
    }
  }

  /**
   * Plans again now that the member type is known; on ip channels, looks up the private IPv4 of the
   * instances that need one (batched) and plans with them. Instances left without one are dead-lettered.
   */
  private async planWithAddresses(
    ready: readonly TargetState[],
    memberType: MemberType,
    clock: Pick<PlanInput, "now" | "healthChecked">,
  ): Promise<TargetPlan[]> {
    const planAll = (ips: ReadonlyMap<string, string>) =>
      ready.map((r) => planTarget({ desired: r.desired, actual: r.members, memberType, ips, ...clock }));
    const first = planAll(new Map());
    const need = [...new Set(first.flatMap((p) => p.needsAddress))];
    if (need.length === 0) return first;
    let lookup: ServerLookup<string>;
    try {
      lookup = await this.deps.ecs.privateAddresses(need);
    } catch (err) {
      for (const r of ready) {
        const missing = r.desired.filter((d) => need.includes(d.ecs_id));
        if (missing.length > 0) this.ledger.failInstances(r.target, "resolve_address", err, missing);
      }
      return planAll(new Map());
    }
    const plans = planAll(lookup.found);
    // Servers ECS's answers left out are a transient failure (the next run asks again); servers it
    // answered without a private IPv4 (or did not know) are not.
    const unanswered = new Set(lookup.missing?.ids);
    const noAddress = new Error("ECS reports no private IPv4 address for the instance");
    for (const [i, p] of plans.entries()) {
      const unresolved = ready[i]!.desired.filter((d) => p.needsAddress.includes(d.ecs_id));
      const left = unresolved.filter((d) => unanswered.has(d.ecs_id));
      const without = unresolved.filter((d) => !unanswered.has(d.ecs_id));
      if (left.length > 0)
        this.ledger.failInstances(ready[i]!.target, "resolve_address", lookup.missing, left);
      if (without.length > 0)
        this.ledger.failInstances(ready[i]!.target, "resolve_address", noAddress, without);
    }
    return plans;
  }

  /**
   * One channel, as one linear sequence: read (readJobState did the reads; here, which targets have
   * what they need), hold the tag bindings whose member group is not ours, set up the channel if
   * planning needs it, plan, write (and write again what the gateway refused on a guess), drain, delete
   * on a fresh listing, retry the deferred adds. Returns every target's outcome for the lifecycle hooks
   * that follow.
   */
  private async runJob(job: ChannelJob, state: JobState): Promise<TargetOutcome[]> {
    const log = this.deps.logger.child({
      channel: job.key,
      binding: bindingLabels(job.targets.flatMap((t) => t.bindings)),
    });
    const { ready: readTargets, unread } = this.readyTargets(job, state);
    if (readTargets.length === 0) return unread;
    const { ready, held } = await this.checkOwnership(job, state, readTargets);
    if (ready.length === 0) return [...unread, ...held];
    const channel = await this.setUpChannel(job, state, ready, log);
    if (channel === null) return [...unread, ...held, ...ready.map((r) => failedOutcome(r.target))];
    const runs = await this.planTargets(job, state, ready, channel, log);
    for (const run of runs) await this.write(job, state, ready, run);
    // After every target's writes, so a target written before another target's quarantine drains it too.
    for (const run of runs) await this.drainQuarantined(run, ready);
    const drained = await this.drain(runs, log);
    const deleting = runs.filter((r) => r.toDelete.length > 0).map((r) => r.target);
    const relist = listingOnDemand(this.deps.gateway, job.channel, deleting);
    for (const run of runs) {
      await this.writer.applyDeletes(run, drained, relist);
      await this.writer.retryDeferred(run);
      await this.retryRefused(job, state, ready, run, false);
    }
    return [...unread, ...held, ...runs.map((r) => r.outcome)];
  }

  /**
   * Whether a target must prove its member group is ours before the run goes on: it has a tag binding,
   * and a write to the group is due or a hook of a tagged group waits on it.
   */
  private consentDue(
    { target, members, desired }: TargetState,
    listedType: MemberType | undefined,
    hooksWaiting: boolean,
    partial = false,
  ): boolean {
    if (!target.bindings.some((b) => this.opts.tagBound.has(b))) return false;
    const plan = planTarget({
      desired,
      actual: members,
      memberType: listedType,
      ips: new Map(),
      now: this.now(),
    });
    return ownershipCheckDue(plan, hooksWaiting, partial);
  }

  /**
   * Tag bindings act only on member groups the function owns (../plan/ownership.ts). Each target with a
   * tag binding and something to do is checked against the channel's member groups (one channel read,
   * shared with the setup and the plan); a group that exists without the marker is never touched for them: one
   * MEMBER_GROUP_NOT_MANAGED dead letter per tag binding, and their hooks wait (the target's outcome
   * is failed). BINDINGS bindings of such a target are reconciled alone: the deployer named that group.
   * When the channel cannot be read, the targets that needed it are held (dead-lettered) and the others
   * go on.
   */
  private async checkOwnership(
    job: ChannelJob,
    state: JobState,
    targets: readonly TargetState[],
  ): Promise<{ ready: TargetState[]; held: TargetOutcome[] }> {
    const due = targets.filter((t) =>
      this.consentDue(t, state.listedType, this.hooksWaitOn(t.target, state)),
    );
    if (due.length === 0) return { ready: [...targets], held: [] };
    let channel: Channel;
    try {
      channel = await this.channelRead(job, state);
    } catch (err) {
      this.ledger.fail(
        due.flatMap((t) => t.target.bindings),
        "read_channel",
        err,
        [],
      );
      return {
        ready: targets.filter((t) => !due.includes(t)),
        held: due.map((t) => failedOutcome(t.target)),
      };
    }
    const ready: TargetState[] = [];
    const held: TargetOutcome[] = [];
    for (const t of targets) {
      const ownership = memberGroupOwnership(channel, t.target.memberGroupName, t.members.length);
      if (!due.includes(t) || ownership.managed) {
        ready.push(t);
        continue;
      }
      const tagged = t.target.bindings.filter((b) => this.opts.tagBound.has(b));
      const declared = t.target.bindings.filter((b) => !this.opts.tagBound.has(b));
      this.refuseUnmanaged(job, t.target, tagged, ownership.remark);
      held.push(failedOutcome({ ...t.target, bindings: tagged }));
      if (declared.length === 0) continue;
      ready.push(targetState({ ...t.target, bindings: declared }, t.members, state.groups));
    }
    return { ready, held };
  }

  /** Whether a lifecycle hook of one of the target's tagged groups waits. */
  private hooksWaitOn(target: Target, state: JobState): boolean {
    return target.bindings.some(
      (b) => this.opts.tagBound.has(b) && (state.groups.get(b.scaling_group_id)?.hooks.length ?? 0) > 0,
    );
  }

  /** The job's channel read: the one readJobState started, or a new one, kept for the steps after. */
  private channelRead(job: ChannelJob, state: JobState): Promise<Channel> {
    if (state.channel === undefined) {
      state.channel = this.deps.gateway.showChannel(job.channel);
      // A failure is dead-lettered by whoever awaits it.
      state.channel.catch(() => undefined);
    }
    return state.channel;
  }

  private refuseUnmanaged(job: ChannelJob, target: Target, tagged: Binding[], remark: string | null): void {
    const has =
      remark === null || remark === ""
        ? "it has no member_group_remark"
        : `its member_group_remark is ${JSON.stringify(cut(remark, 80))}`;
    const groups = tagged.map((b) => b.scaling_group_id).join(", ");
    const code: DeadLetterCode = "MEMBER_GROUP_NOT_MANAGED";
    this.ledger.refuse(
      tagged,
      "tag_binding",
      {
        status: null,
        code,
        message: `member group ${target.memberGroupName} of channel ${job.key} exists and is not managed by channel-autoscaler (${has}, not ${JSON.stringify(MANAGED_REMARK)}): the tag binding of scaling group ${groups} is not applied and the group is left untouched`,
      },
      {
        source: "tags",
        channel: channelKey(target.channel),
        member_group_name: target.memberGroupName,
        member_group_remark: remark,
      },
    );
  }

  /**
   * The targets whose reads all succeeded, with what they hold and should hold; the others (their read
   * failed and is dead-lettered) end the run failed.
   */
  private readyTargets(
    job: ChannelJob,
    { actual, groups }: JobState,
  ): { ready: TargetState[]; unread: TargetOutcome[] } {
    const ready: TargetState[] = [];
    const unread: TargetOutcome[] = [];
    for (const target of job.targets) {
      const members = actual.get(target);
      const states = target.bindings.map((b) => groups.get(b.scaling_group_id));
      if (members === undefined || states.some((s) => s === undefined)) {
        unread.push(failedOutcome(target));
        continue;
      }
      ready.push(targetState(target, members, groups));
    }
    return { ready, unread };
  }

  /**
   * The channel when planning needs it (channelNeeded; in a dry run also where it would add into a group
   * that may not exist, since a dry run learns nothing from a refusal), or when it was read anyway (the ownership
   * check), set up by prepareChannel; undefined when nothing needs it (a converged target reads no
   * channel at all), null when it is needed and cannot be read (dead-lettered).
   */
  private async setUpChannel(
    job: ChannelJob,
    state: JobState,
    ready: readonly TargetState[],
    log: Logger,
  ): Promise<Channel | undefined | null> {
    const needed =
      channelNeeded(job, ready, state.listedType, state.compareHealth, this.now()) ||
      (this.opts.dryRun && ready.some(addsIntoUnknownGroup));
    // A channel read for a reason that has passed (a first page that said yes too early, the ownership
    // check) is used if it came back, and its failure then stops nothing.
    const readAnyway = state.channel?.then(
      () => true,
      () => false,
    );
    if (!needed && !(await readAnyway)) return undefined;
    return (await this.prepared(job, state, ready, log)) ?? null;
  }

  /**
   * Every ready target's plan, with the member type the channel (or else the listing) shows; with
   * neither, the plan writes on a guess (PlanInput.memberType) and `guessed` sends a refusal of it to
   * retryRefused. A target whose groups' instance listing skipped records without an id keeps every
   * member this run (holdRemovals).
   */
  private async planTargets(
    job: ChannelJob,
    state: JobState,
    ready: readonly TargetState[],
    channel: Channel | undefined,
    log: Logger,
  ): Promise<TargetRun[]> {
    const memberType = channel === undefined ? state.listedType : memberTypeOf(channel);
    // One instant for the channel's plans: every target's ramp steps are read off the same clock.
    const clock = planClock(job, channel, this.now());
    const plans =
      memberType === undefined
        ? ready.map((r) =>
            planTarget({
              desired: r.desired,
              actual: r.members,
              memberType: undefined,
              ips: new Map(),
              ...clock,
            }),
          )
        : await this.planWithAddresses(ready, memberType, clock);
    return ready.map((r, i) => {
      const plan = plans[i]!;
      if (plan.undated.length > 0) {
        log.warn("create_time unreadable: slow start skipped, members given their full weight", {
          action: "plan",
          member_group_name: r.target.memberGroupName,
          instance_ids: plan.undated.map((m) => m.ecs_id ?? m.id),
          create_times: plan.undated.map((m) => m.create_time ?? null),
        });
      }
      const guessed = channel === undefined && (state.listedType === undefined || r.members.length === 0);
      return this.holdRemovals(r.target, state, startTargetRun(r.target, plan, channel, log, guessed));
    });
  }

  /**
   * A group whose instance listing skipped records without an `instance_id` cannot prove any member
   * stray: the member may stand for one of those instances. So the run disables and deletes nothing of
   * the targets of that group's bindings (adds and updates go ahead), and the members it would have
   * removed linger, which keeps their terminate hooks waiting; a later, complete listing decides.
   */
  private holdRemovals(target: Target, state: JobState, run: TargetRun): TargetRun {
    const groups = target.bindings
      .map((b) => b.scaling_group_id)
      .filter((id) => (state.groups.get(id)?.unidentified ?? 0) > 0);
    const { removals } = run.plan;
    if (groups.length === 0 || removals.length === 0) return run;
    run.log.warn(
      "the AS instance listing had records without an instance_id, so no member can be proven stray: none is disabled or deleted this run",
      {
        action: "plan",
        member_group_name: target.memberGroupName,
        scaling_group_ids: [...new Set(groups)],
        instance_ids: removals.map((r) => r.member.ecs_id ?? r.member.id),
      },
    );
    for (const r of removals) if (r.member.ecs_id) run.outcome.lingering.add(r.member.ecs_id);
    run.plan = { ...run.plan, removals: [] };
    return run;
  }

  /**
   * One target's writes before the drain: upserts (and, when the gateway refused them on a guess, the
   * channel read and the upserts once more), re-enables, disables; then replace_unhealthy (after the
   * writes, so a failed one holds it back), whose instances moved to standby are no longer desired and
   * so have their members disabled and drained with the others.
   */
  private async write(
    job: ChannelJob,
    state: JobState,
    ready: readonly TargetState[],
    run: TargetRun,
  ): Promise<void> {
    const { target, plan, log } = run;
    this.ledger.addUnchanged(plan.unchanged);
    await this.writer.applyUpserts(run);
    await this.retryRefused(job, state, ready, run, true);
    await this.writer.applyEnable(run);
    await this.writer.applyDisable(run);
    const members = ready.find((r) => r.target === target)!.members;
    const quarantined = await this.quarantine.run(target, members, state.groups, log);
    await this.disableQuarantined(run, quarantined);
  }

  /**
   * The members of the target whose instances the run has moved to standby, for any binding of their
   * group and in any target, that the target has not disabled yet: an instance out of service leaves
   * every target in the same run. A channel whose writes end before another channel's quarantine lands
   * keeps such a member until the next run (docs/replacement-budget.md).
   */
  private async drainQuarantined(run: TargetRun, ready: readonly TargetState[]): Promise<void> {
    const members = ready.find((r) => r.target === run.target)!.members;
    await this.disableQuarantined(run, this.quarantine.movedFrom(members));
  }

  /**
   * Disables and queues for deletion those of these members that the run has not taken out yet, nor
   * tried to (a failed disable leaves its member lingering, for the next run).
   */
  private async disableQuarantined(run: TargetRun, quarantined: readonly Member[]): Promise<void> {
    const fresh = quarantined.filter(
      (m) =>
        !run.plan.removals.some((x) => x.member.id === m.id) &&
        !run.toDelete.some((x) => x.id === m.id) &&
        !run.outcome.lingering.has(m.ecs_id ?? ""),
    );
    if (fresh.length === 0) return;
    await this.writer.applyDisable(run, drainPlan(fresh).removals);
    for (const m of fresh) run.outcome.present.delete(m.ecs_id ?? "");
  }

  /**
   * Upserts the gateway refused with a parameter error while the run wrote on a guess (TargetRun.guessed:
   * a member group it may lack, a member type it did not know): the channel is read and set up once for
   * the job (a missing group created), the target planned again with the channel's member type (and, on
   * an `ip` channel, the instances' addresses), and the refused upserts written once more. What is
   * refused again is dead-lettered as any refused write.
   */
  private async retryRefused(
    job: ChannelJob,
    state: JobState,
    ready: readonly TargetState[],
    run: TargetRun,
    removalsToCome: boolean,
  ): Promise<void> {
    const refused = run.refused;
    if (refused.length === 0) return;
    run.refused = [];
    run.log.info(
      "the gateway refused members written without a read of the channel (a member group it lacks, or the other member type): reading the channel, then writing them once more",
      {
        action: "add_members",
        member_group_name: run.target.memberGroupName,
        instance_ids: refused.map((r) => r.upsert.desired.ecs_id),
        error: describeError(refused[0]!.error),
      },
    );
    const channel = await this.prepared(job, state, ready, run.log);
    const again: DeferredUpsert[] = [];
    if (channel !== undefined) {
      run.outcome.channel ??= channel;
      const target = ready.find((r) => r.target === run.target)!;
      const [plan] = await this.planWithAddresses(
        [target],
        memberTypeOf(channel),
        planClock(job, channel, this.now()),
      );
      const upserts = new Map(plan!.upserts.map((u) => [u.desired.ecs_id, u]));
      for (const r of refused) {
        const upsert = upserts.get(r.upsert.desired.ecs_id);
        if (upsert) again.push({ upsert, entry: r.entry });
      }
    }
    await this.writer.writeRefusedAgain(run, refused, again, removalsToCome && run.plan.removals.length > 0);
  }

  /**
   * One drain wait for the whole channel: the longest drain_seconds of the targets with members to
   * delete, if it fits in the time left. Members already disabled before this run wait it out too: the
   * member model has no time of disabling (official SDK `VpcMemberInfo`: `create_time` only), so nothing
   * shows they have drained, and a run killed mid-drain must not shorten the next run's drain. False
   * when it does not fit: the members stay disabled and a later run with the time drains and deletes them.
   */
  private async drain(runs: readonly TargetRun[], log: Logger): Promise<boolean> {
    const deleting = runs.filter((d) => d.toDelete.length > 0);
    if (deleting.length === 0 || this.opts.dryRun) return true;
    const drainMs =
      Math.max(...deleting.flatMap((d) => d.target.bindings.map((b) => b.drain_seconds))) * 1000;
    if (drainMs > this.deps.deadline.remainingMs() - this.opts.drainReserveMs) {
      log.warn(
        this.deps.deadline.interrupted
          ? "interrupted before the drain; disabled members stay and a later run drains and deletes them"
          : "not enough time left to drain; disabled members stay and a later run drains and deletes them",
        {
          action: "drain",
          drain_ms: drainMs,
          remaining_ms: this.deps.deadline.remainingMs(),
        },
      );
      return false;
    }
    if (drainMs > 0) {
      log.info("draining disabled members", { action: "drain", drain_ms: drainMs });
      await this.sleep(drainMs);
    }
    // A wait cut short by an interrupt has not drained: the members stay disabled for a later run.
    return !this.deps.deadline.interrupted;
  }
}
