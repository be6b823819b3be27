/**
 * The guards on replace_unhealthy, judged on the ENTER_STANDBY requests of a step against the state at
 * its start, the listings made during it and the state it left:
 *
 * - an instance goes to standby only with replace_unhealthy, with a replacement, once its member has
 *   been reported unhealthy across after_seconds and the instance is at least that old; AS is asked once
 *   for it; at most max_per_run instances per binding per invocation;
 * - the budget across invocations: never more tagged instances in standby in a group than
 *   max_in_standby, or than the group already held (an excess an earlier step left is not added to),
 *   unless the step shows the one race docs/replacement-budget.md leaves open (a quarantined-at tag
 *   written on a server, then removed from it, in the same step): then never more than its bound,
 *   max_in_standby + (invocations − 1) × min(max_per_run, max_in_standby);
 * - never an ENTER_STANDBY within cooldown_seconds of a claim (a tagged instance in standby, or an
 *   instance an earlier request of the step moved), the batches of a step with the race excepted;
 * - never an ENTER_STANDBY when the fraction guard should hold it back: more than max_unhealthy_fraction
 *   of the members with a health reading unhealthy, in every binding of the group, in every view the
 *   run may have planned from (a member listing, then an instance listing after it).
 */
import type { CallLogEntry, EmulatorState, VpcMemberInfo } from "../emulator";
import { applied, carriedOut, operationOf, scalingGroupOf, serverOf } from "./operations";
import {
  type Before,
  type BoundTarget,
  budgetOf,
  check,
  type Hits,
  IN_STANDBY,
  instancesOf,
  type ListingView,
  membersOf,
  QUARANTINED_AT_TAG,
  type ReplaceSettings,
  tagOf,
  type WorldSpec,
} from "./world-spec";

export interface GuardStep {
  when: string;
  spec: WorldSpec;
  before: Before;
  after: EmulatorState;
  calls: readonly CallLogEntry[];
  invocations: number;
  views: readonly ListingView[];
  /** Member id → the earliest the product may date its unhealthy spell from (ms, whole seconds). */
  unhealthySince: ReadonlyMap<string, number>;
  hits: Hits;
}

interface StandbyRequest {
  call: CallLogEntry;
  group: string;
  ids: string[];
  settings: ReplaceSettings;
}

export function checkReplacementGuards(step: GuardStep): void {
  // Every ENTER_STANDBY the product sent, answered or not: what it asked for is what is judged.
  const sent = step.calls.filter((c) => operationOf(c) === "standby");
  const requests = sent.map((call): StandbyRequest => {
    const group = scalingGroupOf(call);
    const settings = step.spec.replaceOf(group);
    check(
      settings !== undefined,
      `${step.when}: an instance was put in standby without replace_unhealthy`,
      () => call,
    );
    const body = call.body as { action?: string; instances_id?: string[]; instance_append?: string };
    check(
      body.action === "ENTER_STANDBY" && body.instance_append === "yes",
      `${step.when}: a standby action other than ENTER_STANDBY with a replacement`,
      () => body,
    );
    return { call, group, ids: body.instances_id ?? [], settings: settings! };
  });
  checkRequests(step, requests);
  const race = raceGroups(step);
  checkBudget(step, race);
  checkCooldown(step, requests, race);
  for (const r of requests) checkFractionGuard(step, r);
}

/** after_seconds, the instance's age, AS asked once, max_per_run. */
function checkRequests(step: GuardStep, requests: readonly StandbyRequest[]): void {
  const { when, spec, before } = step;
  const perGroup = new Map<string, Set<string>>();
  for (const { call, group, ids, settings } of requests) {
    const afterMs = settings.after_seconds * 1000;
    perGroup.set(group, new Set([...(perGroup.get(group) ?? []), ...ids]));
    const at = Date.parse(call.time);
    for (const id of ids) {
      const instance = instancesOf(before.state, group).find((i) => i.instance_id === id);
      check(
        instance !== undefined && at - Date.parse(instance.create_time) >= afterMs,
        `${when}: an instance younger than after_seconds was replaced`,
        () => ({ instance, at: call.time }),
      );
      const sick = spec.targets
        .filter((t) => t.groups.includes(group))
        .flatMap((t) => membersOf(before.state, t))
        .filter((m) => m.ecs_id === id && m.status === 1 && m.health_status === "unhealthy");
      check(
        sick.some((m) => at - (step.unhealthySince.get(m.id) ?? at) >= afterMs),
        `${when}: an instance was replaced before its member was unhealthy across after_seconds`,
        () => ({ id, at: call.time, members: sick, since: sick.map((m) => step.unhealthySince.get(m.id)) }),
      );
    }
  }
  // AS is asked once for an instance: after an ENTER_STANDBY it carried out, no request of the run names
  // the instance again, whichever of its member groups or channels judged it.
  if (step.invocations === 1) {
    const asked = new Set<string>();
    for (const { call, ids } of requests) {
      const again = ids.filter((id) => asked.has(id));
      check(again.length === 0, `${when}: AS was asked again for an instance it put in standby`, () => ({
        again,
        calls: requests.map((r) => r.call),
      }));
      if (applied(call)) for (const id of ids) asked.add(id);
    }
  }
  // A request retried is the same request: count the instances asked for, not the requests.
  for (const [group, ids] of perGroup) {
    const maxPerRun = spec.replaceOf(group)!.max_per_run;
    const bindings = spec.targets.filter((t) => t.groups.includes(group)).length;
    check(
      ids.size <= maxPerRun * bindings * step.invocations,
      `${when}: more instances replaced than max_per_run allows`,
      () => ({ group, ids: [...ids], max_per_run: maxPerRun }),
    );
  }
}

/** The group's claims: its instances in standby that carry the quarantined-at tag, with the tag's value. */
function claims(state: EmulatorState, group: string): { id: string; tag: string }[] {
  return instancesOf(state, group).flatMap((i) => {
    const tag = tagOf(state, i.instance_id, QUARANTINED_AT_TAG);
    return IN_STANDBY.has(i.life_cycle_state) && tag !== undefined ? [{ id: i.instance_id, tag }] : [];
  });
}

const quarantinedAtWrites = (calls: readonly CallLogEntry[]) =>
  calls.filter(
    (c) =>
      operationOf(c) === "ecs tags" &&
      ((c.body as { tags?: { key?: string }[] }).tags ?? []).some((t) => t.key === QUARANTINED_AT_TAG),
  );
const tagAction = (c: CallLogEntry) => (c.body as { action?: string }).action;

/**
 * The groups in which the step shows the race the budget leaves open: a quarantined-at tag written on a
 * server, then removed from it (another run took the tag of a quarantine in flight for a leftover).
 */
function raceGroups(step: GuardStep): Set<string> {
  const writes = quarantinedAtWrites(step.calls);
  const raced = writes.filter(
    (c, k) =>
      tagAction(c) === "delete" &&
      writes.slice(0, k).some((w) => tagAction(w) === "create" && serverOf(w) === serverOf(c)),
  );
  const groupOf = (server: string) =>
    [step.before.state, step.after]
      .flatMap((s) => s.scaling_groups)
      .find((g) => g.instances.some((i) => i.instance_id === server))?.scaling_group_id;
  const groups = new Set(raced.flatMap((c) => groupOf(serverOf(c)) ?? []));
  step.hits.hit("budget: the race's signature", groups.size);
  return groups;
}

function checkBudget(step: GuardStep, race: ReadonlySet<string>): void {
  for (const g of step.after.scaling_groups) {
    const settings = step.spec.replaceOf(g.scaling_group_id);
    if (!settings) continue;
    const { maxInStandby } = budgetOf(settings);
    const was = claims(step.before.state, g.scaling_group_id).length;
    const now = claims(step.after, g.scaling_group_id);
    const bound = maxInStandby + (step.invocations - 1) * Math.min(settings.max_per_run, maxInStandby);
    const allowed = Math.max(maxInStandby, was, race.has(g.scaling_group_id) ? bound : 0);
    check(
      now.length <= allowed,
      race.has(g.scaling_group_id)
        ? `${step.when}: more quarantined instances in standby than the documented bound`
        : `${step.when}: more quarantined instances in standby than max_in_standby (or than before), without the race`,
      () => ({
        group: g.scaling_group_id,
        in_standby: now,
        before: was,
        allowed,
        max_in_standby: maxInStandby,
      }),
    );
    if (now.length > maxInStandby) step.hits.hit("budget: beyond max_in_standby after the race");
  }
}

function checkCooldown(
  step: GuardStep,
  requests: readonly StandbyRequest[],
  race: ReadonlySet<string>,
): void {
  const tagWrites = quarantinedAtWrites(step.calls).filter((c) => tagAction(c) === "create");
  for (const r of requests) {
    const { cooldownSeconds } = budgetOf(r.settings);
    if (cooldownSeconds === 0) continue;
    const at = Math.floor(Date.parse(r.call.time) / 1000);
    const earlier = claims(step.before.state, r.group).map((c) => ({
      id: c.id,
      at: /^\d+$/.test(c.tag) ? Number(c.tag) : undefined,
      thisStep: false,
    }));
    for (const o of requests) {
      if (o.group !== r.group || o.call.seq >= r.call.seq || !carriedOut(o.call)) continue;
      for (const id of o.ids) {
        const tag = tagWrites.filter((w) => serverOf(w) === id && w.seq < o.call.seq).at(-1);
        const value = (tag?.body as { tags?: { value?: string }[] } | undefined)?.tags?.[0]?.value;
        earlier.push({
          id,
          at: value ? Number(value) : Math.floor(Date.parse(o.call.time) / 1000),
          thisStep: true,
        });
      }
    }
    const recent = earlier.filter(
      (c) =>
        !r.ids.includes(c.id) &&
        c.at !== undefined &&
        at - c.at < cooldownSeconds &&
        !(c.thisStep && race.has(r.group)),
    );
    check(recent.length === 0, `${step.when}: an ENTER_STANDBY within cooldown_seconds of a claim`, () => ({
      request: { seq: r.call.seq, time: r.call.time, ids: r.ids },
      cooldown_seconds: cooldownSeconds,
      claims: recent,
    }));
    if (earlier.some((c) => !r.ids.includes(c.id))) step.hits.hit("cooldown: judged beside a claim");
  }
}

/** Whether more than `fraction` of the members with a reading are unhealthy (members the binding judges). */
export function guardTrips(
  members: readonly VpcMemberInfo[],
  instanceIds: ReadonlySet<string>,
  fraction: number,
): boolean {
  const judged = new Map(
    members.filter((m) => m.ecs_id && instanceIds.has(m.ecs_id) && m.status !== 2).map((m) => [m.ecs_id, m]),
  );
  const health = [...judged.values()].map((m) => m.health_status);
  const unhealthy = health.filter((h) => h === "unhealthy").length;
  const read = unhealthy + health.filter((h) => h === "healthy").length;
  return read > 0 && unhealthy / read > fraction;
}

/** Whether the guard holds for `t` in every pairing of a member listing with a later instance listing. */
function tripsInEveryView(
  step: GuardStep,
  t: BoundTarget,
  group: string,
  beforeSeq: number,
  fraction: number,
) {
  const listed = step.views.filter(
    (v) =>
      v.kind === "members" &&
      v.of === t.channel &&
      v.seq < beforeSeq &&
      (v.memberGroup === undefined || v.memberGroup === t.group),
  );
  const read = step.views.filter((v) => v.kind === "instances" && v.of === group && v.seq < beforeSeq);
  const pairs = listed.flatMap((m) => read.filter((i) => i.seq > m.seq).map((i) => [m, i] as const));
  return (
    pairs.length > 0 &&
    pairs.every(([m, i]) =>
      guardTrips(
        membersOf(m.state, t),
        new Set(instancesOf(i.state, group).map((x) => x.instance_id)),
        fraction,
      ),
    )
  );
}

function checkFractionGuard(step: GuardStep, r: StandbyRequest): void {
  const targets = step.spec.targets.filter((t) => t.groups.includes(r.group));
  const fraction = r.settings.max_unhealthy_fraction;
  const held = targets.every((t) => tripsInEveryView(step, t, r.group, r.call.seq, fraction));
  check(!held, `${step.when}: a quarantine while more than max_unhealthy_fraction were unhealthy`, () => ({
    request: { seq: r.call.seq, ids: r.ids },
    max_unhealthy_fraction: fraction,
    members: targets.map((t) => membersOf(step.before.state, t)),
  }));
}
