import type { GroupInstance } from "../cloud/autoscaling";
import type { Member } from "../cloud/gateway";
import type { ReplaceUnhealthy } from "../config/schema";
import { affordableBatch, type BudgetReading, type GroupBudget, iso } from "./quarantine-budget";

/** The ECS server tag that remembers, across runs, since when a member is reported unhealthy (epoch s). */
export const UNHEALTHY_SINCE_TAG = "channel-autoscaler-unhealthy-since";

/**
 * The members a binding judges: enabled members of its target whose instance is in the binding's group.
 * Disabled members are on their way out already; members of other groups belong to other bindings.
 */
export function bindingMembers(
  members: readonly Member[],
  instances: ReadonlyMap<string, GroupInstance>,
): Member[] {
  const seen = new Set<string>();
  return members.filter((m) => {
    if (!m.ecs_id || !instances.has(m.ecs_id) || m.status === 2 || seen.has(m.ecs_id)) return false;
    seen.add(m.ecs_id);
    return true;
  });
}

export interface FractionGuard {
  unhealthy: number;
  /** Members with a health reading (`healthy` or `unhealthy`): what the fraction is counted over. */
  members: number;
  /** Members without one (`unknown`, or no field): never counted as healthy. */
  unknown: number;
  /** More than max_unhealthy_fraction unhealthy: a broken check or a shared dependency, not sick instances. */
  tripped: boolean;
}

/**
 * The fraction of unhealthy members among those with a health reading. A member the gateway has not
 * checked yet (`unknown`) says nothing either way: counted as healthy, a broken check during a
 * scale-out (3 unhealthy, 4 new members not checked yet) would look like a few sick instances.
 */
export function fractionGuard(members: readonly Member[], settings: ReplaceUnhealthy): FractionGuard {
  const unhealthy = members.filter((m) => m.health_status === "unhealthy").length;
  const read = unhealthy + members.filter((m) => m.health_status === "healthy").length;
  return {
    unhealthy,
    members: read,
    unknown: members.length - read,
    tripped: read > 0 && unhealthy / read > settings.max_unhealthy_fraction,
  };
}

/** The tag's value as epoch seconds, or undefined when absent or not a whole number. */
export function parseSince(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d{1,12}$/.test(value)) return undefined;
  return Number(value);
}

export interface QuarantineInput {
  settings: ReplaceUnhealthy;
  /** The binding's members (bindingMembers), as listed this run. */
  members: readonly Member[];
  /** The binding's group instances by id. */
  instances: ReadonlyMap<string, GroupInstance>;
  /** Value of the unhealthy-since tag per instance id, as read from ECS (absent: no tag). */
  tags: ReadonlyMap<string, string>;
  /** Milliseconds since the epoch. */
  now: number;
  /** A write to the binding's channel failed this run: take nothing out of AS (it could not be replaced). */
  channelWriteFailed: boolean;
  /** The budget of the binding's scaling group (the strictest of its bindings'). */
  budget: GroupBudget;
  /** What the group's instances and quarantined-at tags, as read this run, say about it. */
  reading: BudgetReading;
}

export interface QuarantineCandidate {
  instanceId: string;
  member: Member;
  /** Epoch seconds. */
  since: number;
  reason: string;
}

export interface QuarantineDecision {
  guard: FractionGuard;
  /** Tags to set (first unhealthy reading, or a tag left from an earlier membership): instance → since. */
  setTags: Map<string, number>;
  /** Instances seen healthy again whose tag goes. */
  clearTags: string[];
  /**
   * Quarantined-at tags on instances in service, outside the batch, that go: they hold no budget, and
   * removing them lets the re-count tell a tag written since this read from one that was there before.
   */
  clearQuarantinedAt: string[];
  /**
   * Instances to move to standby with a replacement: at most max_per_run, longest unhealthy first, as
   * many as the group's budget allows.
   */
  quarantine: QuarantineCandidate[];
  /** Unhealthy long enough, but not quarantined this run, and why. */
  held: { instanceId: string; reason: string }[];
}

/**
 * Which members of one binding to quarantine, and the tag bookkeeping that remembers first-unhealthy
 * across runs. Pure. A single unhealthy reading never quarantines: the first one only sets the tag. Only
 * `unhealthy` counts; `unknown` (no check yet) leaves the tag as it is; `healthy` removes it. While more
 * than max_unhealthy_fraction of the members with a reading are unhealthy, nothing is set or quarantined
 * (tags of healthy members still go). What is quarantined also fits the group's budget
 * (./quarantine-budget.ts), which the caller checks once more on fresh reads right before the action.
 */
export function decideQuarantine(input: QuarantineInput): QuarantineDecision {
  const { settings, members, instances, tags, now, channelWriteFailed, budget, reading } = input;
  const guard = fractionGuard(members, settings);
  const setTags = new Map<string, number>();
  const clearTags: string[] = [];
  const held: QuarantineDecision["held"] = [];
  const nowSeconds = Math.floor(now / 1000);
  const afterMs = settings.after_seconds * 1000;
  const ready: QuarantineCandidate[] = [];

  for (const member of members) {
    const id = member.ecs_id!;
    const raw = tags.get(id);
    const since = parseSince(raw);
    if (member.health_status === "healthy") {
      // Even while the guard holds: a tag that outlived a healthy reading would date a later spell too early.
      if (raw !== undefined) clearTags.push(id);
      continue;
    }
    if (member.health_status !== "unhealthy" || guard.tripped) continue;
    // A tag older than the member itself was left by an earlier membership (say, put back from standby).
    const memberMs = Date.parse(member.create_time ?? "");
    const stale = since !== undefined && Number.isFinite(memberMs) && since * 1000 + 1000 <= memberMs;
    if (since === undefined || stale) {
      setTags.set(id, nowSeconds);
      continue;
    }
    const unhealthyMs = now - since * 1000;
    if (unhealthyMs < afterMs) continue;
    const instance = instances.get(id)!;
    const instanceMs = Date.parse(instance.create_time ?? "");
    const hold = (reason: string) => held.push({ instanceId: id, reason });
    if (instance.life_cycle_state !== "INSERVICE")
      hold(`instance is ${instance.life_cycle_state ?? "unknown"}`);
    else if (instance.health_status === "ERROR") hold("AS reports the instance ERROR and replaces it itself");
    else if (!Number.isFinite(instanceMs) || now - instanceMs < afterMs)
      hold("instance younger than after_seconds");
    else if (channelWriteFailed) hold("a write to this channel failed this run");
    else
      ready.push({
        instanceId: id,
        member,
        since,
        reason: `unhealthy since ${iso(since)} (${Math.floor(unhealthyMs / 1000)} s, after_seconds ${settings.after_seconds})`,
      });
  }
  ready.sort((a, b) => a.since - b.since || (a.instanceId < b.instanceId ? -1 : 1));
  const perRun = ready.slice(0, settings.max_per_run);
  const { batch, refusal } = affordableBatch(
    perRun.map((r) => r.instanceId),
    reading,
    budget,
    now,
  );
  for (const r of perRun.slice(batch.length)) held.push({ instanceId: r.instanceId, reason: refusal! });
  for (const r of ready.slice(settings.max_per_run)) {
    held.push({ instanceId: r.instanceId, reason: `max_per_run (${settings.max_per_run}) reached` });
  }
  return {
    guard,
    setTags,
    clearTags,
    // An instance about to be tagged again keeps its tag: removing it first would only open a gap.
    clearQuarantinedAt: reading.leftovers.filter((id) => !batch.includes(id)),
    quarantine: perRun.slice(0, batch.length),
    held,
  };
}
