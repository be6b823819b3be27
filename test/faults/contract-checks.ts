/**
 * The contract's invariants, checked after every step of a history (one or more invocations run
 * together) from the emulator's call log, the listings made during the step and the state it left.
 * The property model (property-model.ts) and the soak (test/soak/) both judge their histories here.
 *
 * After every step (`checkStep`): no whole-channel PUT, and no call the emulator flags; members of other
 * groups and groups no binding names untouched, member groups created only when missing, with the
 * managed-by remark and no weight; a member is disabled before it is deleted, deleted no sooner than its
 * binding's drain_seconds after the disable, and only when a listing of its member group made after the
 * drain showed it still disabled and its instance still unwanted (fresh state); a terminate hook gets
 * CONTINUE only when no member of its instance is left in the member groups of its group's bindings; a
 * launch hook gets CONTINUE only once every such member group has the member, enabled (on APIG,
 * healthy), and ABANDON only on APIG once the member stayed unhealthy past healthy_timeout_seconds; no
 * member of an instance that stays desired is disabled or deleted, nor rewritten when it needed no fix;
 * and the guards on replacements (replacement-guards.ts). After a quiet phase: the member groups hold
 * the desired set, hooks wait only for a cause, and a run on that state writes nothing.
 */
import type { CallLogEntry, Emulator, EmulatorState, VpcMemberInfo } from "../emulator";
import type { FunctionName } from "../support/harness";
import { MANAGED_REMARK } from "../support/harness";
import type { CallObserver } from "./call-observer";
import { channelOf, ok, operationOf } from "./operations";
import { checkReplacementGuards } from "./replacement-guards";
import {
  type Before,
  type BoundTarget,
  channelIn,
  check,
  type HangingSeen,
  type Hits,
  iso,
  type ListingView,
  membersOf,
  SERVING,
  type TargetSpec,
  type WorldSpec,
} from "./world-spec";

/** Where the checks take the time from; `slackMs` is how far a drain may look short for the clock's sake. */
export interface CheckClock {
  now(): number;
  /**
   * How far a drain measured on the emulator's clock may fall short of drain_seconds without the
   * product being at fault: none on a virtual clock; on a real one, the emulator's stamps run up to a few
   * milliseconds ahead of real time (each is unique), and a timer may fire a millisecond early.
   */
  slackMs: number;
}

export interface InvokeResult {
  error?: Error;
  deadLetters: Array<Record<string, unknown>>;
  summary?: Record<string, unknown>;
}

export type Invoker = (
  fn: FunctionName,
  event: unknown,
  env: Record<string, string>,
) => Promise<InvokeResult>;

interface CallbackSeen {
  seq: number;
  time: string;
  body: Record<string, unknown>;
  /** The state the callback left (AS's transition done, the channels as they were). */
  state: EmulatorState;
}

export const timerEvent = { trigger_type: "TIMER", user_event: "" };

/** The calls of a step that may have written this member: its enables, disables, upserts and delete. */
const callsOn = (calls: readonly CallLogEntry[], m: VpcMemberInfo) =>
  calls
    .filter((c) => {
      const text = JSON.stringify(c);
      return c.method !== "GET" && (text.includes(m.id) || (m.ecs_id && text.includes(`"${m.ecs_id}"`)));
    })
    .map((c) => ({
      seq: c.seq,
      time: c.time,
      call: `${c.method} ${c.path}`,
      status: c.status,
      body: c.body,
    }));

const memberIds = (c: CallLogEntry) => (c.body as { member_ids?: string[] }).member_ids ?? [];

export class ContractChecks {
  /**
   * Member id → the earliest the product may date the member's unhealthy spell from (emulator clock, ms,
   * whole seconds): a tag an earlier run left, the load, or the flip to unhealthy. The world keeps it.
   */
  readonly unhealthySince = new Map<string, number>();
  private readonly callbacks: CallbackSeen[] = [];
  private readonly views: ListingView[] = [];
  private foreignBefore: string;

  constructor(
    private readonly emu: Emulator,
    readonly spec: WorldSpec,
    private readonly clock: CheckClock,
    private readonly hits: Hits,
    observer: CallObserver,
  ) {
    this.foreignBefore = this.foreignView();
    observer.on("PUT", /\/scaling_instance_hook\/[^/]+\/callback$/, (c) => {
      this.callbacks.push({
        seq: c.seq,
        time: c.time,
        body: (c.body ?? {}) as Record<string, unknown>,
        state: this.state(),
      });
    });
    observer.on("GET", /\/vpc-channels\/[^/]+\/members$/, (c) => this.view(c, "members", channelOf(c)));
    observer.on("GET", /\/scaling_group_instance\/[^/]+\/list$/, (c) =>
      this.view(c, "instances", /\/scaling_group_instance\/([^/]+)\//.exec(c.path)?.[1] ?? ""),
    );
  }

  private view(c: CallLogEntry, kind: ListingView["kind"], of: string): void {
    const group = c.query.member_group_name;
    this.views.push({
      seq: c.seq,
      time: Date.parse(c.time),
      kind,
      of,
      memberGroup: typeof group === "string" ? group : undefined,
      state: this.state(),
    });
  }

  // --- observations

  state = (): EmulatorState => this.emu.control.state();

  members(t: TargetSpec, state = this.state()): VpcMemberInfo[] {
    return membersOf(state, t);
  }

  identity = (m: VpcMemberInfo) => (this.spec.addressOf ? m.host : (m.ecs_id ?? ""));
  identityOfInstance = (id: string) => this.spec.addressOf?.(id) ?? id;
  ofInstance = (m: VpcMemberInfo, id: string) =>
    m.ecs_id === id || (this.spec.addressOf !== undefined && m.host === this.spec.addressOf(id));

  /** Serving instances of the target's groups (INSERVICE or PENDING_WAIT, AS health not ERROR). */
  desired(t: TargetSpec, state = this.state()): Set<string> {
    return new Set(
      state.scaling_groups
        .filter((g) => t.groups.includes(g.scaling_group_id))
        .flatMap((g) => g.instances)
        .filter((i) => SERVING.has(i.life_cycle_state) && i.health_status !== "ERROR")
        .map((i) => this.identityOfInstance(i.instance_id)),
    );
  }

  /** Members and definitions of the member groups no binding names, on every channel. */
  private foreignView(state = this.state()): string {
    const bound = (channel: string, group: string) =>
      this.spec.targets.some((t) => t.channel === channel && t.group === group);
    return JSON.stringify(
      state.gateways[0]!.channels.map((c) => ({
        groups: c.member_groups.filter((g) => !bound(c.id, g.member_group_name)),
        members: c.members
          .filter((m) => !bound(c.id, m.member_group_name))
          .sort((a, b) => a.id.localeCompare(b.id)),
      })),
    );
  }

  /** An operator changed what no binding names (by hand, between steps): the new baseline. */
  foreignChanged(): void {
    this.foreignBefore = this.foreignView();
  }

  /** The health the gateway reports for a member changed (between steps). */
  healthChanged(memberId: string, health: string): void {
    // An `unknown` reading (no check yet) does not end an unhealthy spell; a `healthy` one does.
    if (health === "healthy") this.unhealthySince.delete(memberId);
    else if (health === "unhealthy" && !this.unhealthySince.has(memberId))
      this.unhealthySince.set(memberId, Math.floor(this.clock.now() / 1000) * 1000);
  }

  /** The starting point of a step; what the step's listings and callbacks are recorded against. */
  before(): Before {
    this.callbacks.length = 0;
    this.views.length = 0;
    const state = this.state();
    const hooks = new Map<string, HangingSeen>();
    for (const g of state.scaling_groups) {
      for (const h of g.hanging) {
        hooks.set(h.lifecycle_action_key, {
          group: g.scaling_group_id,
          instance: h.instance_id,
          hook: h.lifecycle_hook_name as HangingSeen["hook"],
        });
      }
    }
    return {
      start: this.clock.now(),
      state,
      desired: this.spec.targets.map((t) => this.desired(t, state)),
      hooks,
    };
  }

  // --- invariants

  /** Every invariant of one step; returns whether a launch hook was abandoned in it. */
  checkStep(when: string, before: Before, calls: readonly CallLogEntry[], invocations: number): boolean {
    const after = this.state();
    this.checkNoTrap(when, calls);
    this.checkOwnership(when, before, calls, after);
    this.checkDeletes(when, before, calls);
    const abandoned = this.checkHooks(when, before, calls, after);
    this.checkDesiredKept(when, before, calls, invocations, after);
    checkReplacementGuards({
      when,
      spec: this.spec,
      before,
      after,
      calls,
      invocations,
      views: this.views,
      unhealthySince: this.unhealthySince,
      hits: this.hits,
    });
    return abandoned;
  }

  /** Never a whole-channel PUT, nor any call the emulator flags (groups or members wiped). */
  private checkNoTrap(when: string, calls: readonly CallLogEntry[]): void {
    const bad = calls.filter(
      (c) => c.traps?.length || (c.method === "PUT" && /\/vpc-channels\/[^/]+$/.test(c.path)),
    );
    check(
      bad.length === 0,
      `${when}: a whole-channel PUT was sent, or a call wiped groups or members`,
      () => bad,
    );
  }

  /**
   * Members of other groups and groups no binding names are untouched; a member group is created only
   * when missing, with the managed-by remark and no weight (which would override the members' own);
   * member writes name only bound groups.
   */
  private checkOwnership(
    when: string,
    before: Before,
    calls: readonly CallLogEntry[],
    after: EmulatorState,
  ): void {
    check(this.foreignView(after) === this.foreignBefore, `${when}: a foreign member or group changed`, () =>
      this.foreignView(after),
    );
    const bound = (channel: string) =>
      this.spec.targets.filter((t) => t.channel === channel).map((t) => t.group);
    const foreignIds = new Set(
      before.state.gateways[0]!.channels.flatMap((c) =>
        c.members.filter((m) => !bound(c.id).includes(m.member_group_name)).map((m) => m.id),
      ),
    );
    for (const c of calls) {
      const op = operationOf(c);
      const channel = channelOf(c);
      if (op === "member-groups") {
        const existed = channelIn(before.state, channel).member_groups.map((g) => g.member_group_name);
        const groups = (c.body as { member_groups?: Record<string, unknown>[] }).member_groups ?? [];
        for (const g of groups) {
          const name = String(g.member_group_name);
          check(
            bound(channel).includes(name) && !existed.includes(name),
            `${when}: a member group posted that is not ours or already existed`,
            () => c.body,
          );
          check(
            g.member_group_remark === MANAGED_REMARK && !("member_group_weight" in g),
            `${when}: a member group created without the managed-by remark, or with a weight`,
            () => c.body,
          );
        }
      }
      if (op === "add members") {
        const names = ((c.body as { members?: { member_group_name?: string }[] }).members ?? []).map(
          (m) => m.member_group_name ?? "",
        );
        check(
          names.every((n) => bound(channel).includes(n)),
          `${when}: a member written to a foreign group`,
          () => c.body,
        );
      }
      if (op === "enable" || op === "disable") {
        check(
          !memberIds(c).some((id) => foreignIds.has(id)),
          `${when}: a foreign member enabled or disabled`,
          () => c.body,
        );
      }
      if (op === "health-config") {
        const had = channelIn(before.state, channel).vpc_health_config as Record<string, unknown> | undefined;
        const wanted = this.spec.healthCheck;
        const same =
          wanted !== undefined && had !== undefined && Object.entries(wanted).every(([k, v]) => had[k] === v);
        check(
          wanted !== undefined && !same,
          `${when}: the health check was set though the channel had it, or no binding names one`,
          () => ({ had, sent: c.body }),
        );
      }
    }
  }

  /**
   * A member is deleted only after a disable and a drain, on fresh state. It was disabled, and deleted
   * no sooner than its binding's drain_seconds after the disable (after the step's start for a member
   * disabled before it: the member model has no time of disabling, so a run drains members it finds
   * disabled too). A listing of its member group made after that drain showed it still disabled, and
   * its instance unwanted then and at the step's start; at the delete it was still disabled, unless
   * another run enabled it again after that listing (the gateway has no conditional delete).
   */
  private checkDeletes(when: string, before: Before, calls: readonly CallLogEntry[]): void {
    for (const c of calls) {
      if (operationOf(c) !== "delete" || !c.deleted) continue;
      const { member, disabled_since } = c.deleted;
      const channel = channelOf(c);
      const i = this.spec.targets.findIndex(
        (t) => t.channel === channel && t.group === member.member_group_name,
      );
      check(i >= 0, `${when}: a member of a group no binding names was deleted`, () => c);
      const t = this.spec.targets[i]!;
      const drainMs = t.drainSeconds * 1000;
      const from = Math.max(Date.parse(disabled_since ?? iso(before.start)), before.start);
      const history = () => ({
        drain_seconds: t.drainSeconds,
        disabled_since,
        deleted_at: c.time,
        start: iso(before.start),
        calls: callsOn(calls, member),
      });
      check(
        Date.parse(c.time) - from >= drainMs - this.clock.slackMs,
        `${when}: a member was deleted sooner than drain_seconds after its disable`,
        history,
      );
      const fresh = this.views.filter(
        (v) =>
          v.kind === "members" &&
          v.of === channel &&
          v.seq < c.seq &&
          (v.memberGroup === undefined || v.memberGroup === t.group) &&
          v.time >= from + drainMs - this.clock.slackMs &&
          membersOf(v.state, t).some((m) => m.id === member.id && m.status === 2),
      );
      check(
        fresh.length > 0,
        `${when}: a member was deleted without a listing after its drain that showed it still disabled`,
        history,
      );
      const last = fresh.at(-1)!;
      const reenabled = calls.some(
        (e) =>
          operationOf(e) === "enable" &&
          e.seq > last.seq &&
          e.seq < c.seq &&
          memberIds(e).includes(member.id),
      );
      check(
        member.status === 2 || reenabled,
        `${when}: a member was deleted without being disabled first`,
        history,
      );
      const id = this.identity(member);
      check(
        !(before.desired[i]!.has(id) && this.desired(t, last.state).has(id)),
        `${when}: a member of an instance still wanted was deleted`,
        history,
      );
      if (drainMs > 0) this.hits.hit("drain_seconds > 0 waited");
    }
  }

  /**
   * Hook callbacks, judged on the state each one left: a terminate hook only when no member of its
   * instance remains in the member groups of its group's bindings; a launch hook CONTINUE only once each
   * of them has the member, enabled, and on APIG healthy (or unknown on a channel without a health check,
   * where the gateway never says more); ABANDON only on APIG, for a member not healthy for
   * healthy_timeout_seconds. Returns whether a launch hook was abandoned.
   */
  private checkHooks(
    when: string,
    before: Before,
    calls: readonly CallLogEntry[],
    after: EmulatorState,
  ): boolean {
    let abandoned = false;
    for (const cb of this.callbacks) {
      const logged = calls.find((c) => c.seq === cb.seq);
      if (!logged || !ok(logged)) continue;
      const result = cb.body.lifecycle_action_result;
      const hook =
        before.hooks.get(String(cb.body.lifecycle_action_key)) ??
        [...before.hooks.values()].find(
          (h) => h.instance === cb.body.instance_id && h.hook === cb.body.lifecycle_hook_name,
        );
      check(hook !== undefined, `${when}: a hook completed that was not waiting`, () => cb.body);
      const targets = this.spec.targets.filter((t) => t.groups.includes(hook!.group));
      const found = targets.map((t) => ({
        t,
        members: this.members(t, cb.state).filter((m) => this.ofInstance(m, hook!.instance)),
        healthCheck: channelIn(cb.state, t.channel).vpc_health_config !== undefined,
      }));
      if (hook!.hook === "terminate") {
        check(
          result === "CONTINUE" && found.every((f) => f.members.length === 0),
          `${when}: a terminate hook completed while a member of its instance remains`,
          () => ({ body: cb.body, remaining: found.flatMap((f) => f.members) }),
        );
        this.hits.hit("terminate hook CONTINUE");
        continue;
      }
      const registered = found.every((f) => f.members.some((m) => m.status === 1));
      if (result === "CONTINUE") {
        const healthy = found.every((f) =>
          f.members.some(
            (m) =>
              m.status === 1 &&
              (this.spec.gateway === "roma" ||
                m.health_status === "healthy" ||
                (m.health_status === "unknown" && !f.healthCheck)),
          ),
        );
        check(
          registered && healthy,
          `${when}: a launch hook got CONTINUE before its member was registered${this.spec.gateway === "apig" ? " and healthy" : ""}`,
          () => ({ body: cb.body, members: found.map((f) => f.members) }),
        );
        this.hits.hit("launch hook CONTINUE");
        continue;
      }
      const timeoutMs = this.spec.healthyTimeoutSeconds * 1000;
      const overdue = found.some((f) =>
        f.members.some(
          (m) =>
            m.health_status !== "healthy" && Date.parse(cb.time) - Date.parse(m.create_time) >= timeoutMs,
        ),
      );
      check(
        result === "ABANDON" &&
          this.spec.gateway === "apig" &&
          found.every((f) => f.members.length > 0) &&
          overdue,
        `${when}: a launch hook abandoned before healthy_timeout_seconds, or not on APIG`,
        () => ({ body: cb.body, at: cb.time, members: found.map((f) => f.members) }),
      );
      this.hits.hit("launch hook ABANDON");
      abandoned = true;
    }
    // What the terminate-hook rule is for: a hook left waiting on a member a failed write left behind.
    const hanging = new Set(
      after.scaling_groups.flatMap((g) => g.hanging.map((h) => h.lifecycle_action_key)),
    );
    for (const [key, h] of before.hooks) {
      const remains = this.spec.targets.some(
        (t) =>
          t.groups.includes(h.group) && this.members(t, after).some((m) => this.ofInstance(m, h.instance)),
      );
      if (h.hook === "terminate" && hanging.has(key) && remains)
        this.hits.hit("terminate hook held while its member remains");
    }
    return abandoned;
  }

  /**
   * A member of an instance desired before and after the step is never disabled or deleted, and never
   * lost; with one invocation (no race to another one's add), it is written only to fix it: an upsert
   * only of a member missing or with a field that differs, an enable only of a disabled one.
   */
  private checkDesiredKept(
    when: string,
    before: Before,
    calls: readonly CallLogEntry[],
    invocations: number,
    after: EmulatorState,
  ): void {
    for (const [i, t] of this.spec.targets.entries()) {
      const kept = new Set([...before.desired[i]!].filter((id) => this.desired(t, after).has(id)));
      const start = this.members(t, before.state);
      const byId = new Map(start.map((m) => [m.id, m]));
      const isKept = (m: VpcMemberInfo | undefined) => m !== undefined && kept.has(this.identity(m));
      const onChannel = calls.filter((c) => c.path.includes(`/vpc-channels/${t.channel}/`));
      for (const c of onChannel) {
        const op = operationOf(c);
        if (op === "disable") {
          const hit = memberIds(c).filter((id) => isKept(byId.get(id)));
          check(hit.length === 0, `${when}: a member of a desired instance was disabled`, () => hit);
        }
        if (op === "delete" && c.deleted?.member.member_group_name === t.group) {
          check(
            !isKept(c.deleted.member),
            `${when}: a member of a desired instance was deleted`,
            () => c.deleted,
          );
        }
        if (invocations > 1) continue;
        if (op === "enable") {
          const needless = memberIds(c).filter((id) => byId.get(id)?.status === 1);
          check(needless.length === 0, `${when}: an enabled member was enabled again`, () => needless);
        }
        if (op === "add members") {
          for (const sent of (c.body as { members?: Record<string, unknown>[] }).members ?? []) {
            if (sent.member_group_name !== t.group) continue;
            const id = this.spec.addressOf ? String(sent.host) : String(sent.ecs_id);
            const had = start.find((m) => this.identity(m) === id);
            const fine =
              had !== undefined &&
              had.weight === sent.weight &&
              had.is_backup === sent.is_backup &&
              (had.ecs_id === undefined || had.ecs_name === sent.ecs_name);
            check(!fine, `${when}: a member that needed no fix was written`, () => ({ had, sent }));
          }
        }
      }
      const enabled = new Set(
        this.members(t, after)
          .filter((m) => m.status === 1)
          .map(this.identity),
      );
      for (const m of start) {
        if (m.status === 1 && kept.has(this.identity(m)))
          check(enabled.has(this.identity(m)), `${when}: a desired member was lost`, () => m);
      }
    }
  }

  // --- after a quiet phase

  /**
   * Our member groups hold exactly the desired instances, each once and enabled, with the binding's
   * weight and the instance's name (but instances dead-lettered for the group may be missing, or keep
   * their old fields; and `lagging` ones may still be there); foreign members and groups as they were.
   */
  expectConverged(
    when: string,
    deadLetters: readonly Record<string, unknown>[] = [],
    targets: readonly BoundTarget[] = this.spec.targets,
    lagging: ReadonlySet<string> = new Set(),
  ): void {
    const state = this.state();
    const names = new Map(
      state.scaling_groups.flatMap((g) => g.instances).map((i) => [i.instance_id, i.instance_name]),
    );
    for (const t of targets) {
      const members = this.members(t, state);
      const got = members.map(this.identity);
      const want = this.desired(t, state);
      const excused = new Set(
        deadLetters
          .filter((d) => {
            const b = d.binding as { vpc_channel_id?: string; member_group_name?: string } | null;
            return b?.vpc_channel_id === t.channel && b.member_group_name === t.group;
          })
          .flatMap((d) => (d.instance_ids as string[]).map(this.identityOfInstance)),
      );
      const strays = got.filter((id) => !want.has(id) && !lagging.has(id));
      const missing = [...want].filter((id) => !got.includes(id) && !excused.has(id));
      check(
        strays.length === 0 && missing.length === 0 && new Set(got).size === got.length,
        `${when}: ${t.channel}/${t.group} is not the desired set`,
        () => ({ got, want: [...want], strays, missing }),
      );
      for (const m of members) {
        if (excused.has(this.identity(m))) continue;
        check(m.status === 1, `${when}: a desired member is disabled`, () => m);
        check(m.weight === this.spec.weight, `${when}: a member has the wrong weight`, () => m);
        if (m.ecs_id) check(m.ecs_name === names.get(m.ecs_id), `${when}: wrong ecs_name`, () => m);
      }
    }
    check(this.foreignView(state) === this.foreignBefore, `${when}: a foreign member or group changed`, () =>
      this.foreignView(state),
    );
  }

  /** Hooks wait only for what cannot be done: an instance AS reports ERROR, or one dead-lettered. */
  expectHooksSettled(when: string, deadLettered: ReadonlySet<string>): void {
    for (const g of this.state().scaling_groups) {
      for (const h of g.hanging) {
        const instance = g.instances.find((i) => i.instance_id === h.instance_id);
        check(
          instance?.health_status === "ERROR" || deadLettered.has(h.instance_id),
          `${when}: a lifecycle hook still waits`,
          () => ({ hook: h, instance }),
        );
      }
    }
  }

  /**
   * On converged state a run has nothing to do on the channels and in AS. The unhealthy-since
   * bookkeeping may take one run more (tags are read for members listed at a run's start: a member just
   * added has its server's stale tag removed by the next run); a run after that writes nothing at all.
   */
  async expectQuiet(call: Invoker, env: Record<string, string>): Promise<void> {
    const quiet = async (what: string) => {
      this.emu.control.clearCalls();
      const again = await call("reconcile", timerEvent, env);
      check(again.error === undefined, `${what} failed`, () => again.error?.message);
      return this.emu.control.calls().filter((c) => c.method !== "GET");
    };
    const writes = await quiet("the run on converged state");
    check(
      writes.every((c) => operationOf(c) === "ecs tags"),
      "a run on converged state wrote to a channel or to AS",
      () => writes,
    );
    if (writes.length > 0) {
      const more = await quiet("the run after the bookkeeping");
      check(more.length === 0, "a run on converged state wrote", () => more);
    }
  }
}
