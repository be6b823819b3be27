import type { GroupInstance } from "../cloud/autoscaling";
import type { Binding, ReplaceUnhealthy } from "../config/schema";

/**
 * The ECS server tag that marks an instance this function moves to AS standby (epoch seconds). It is
 * written before the ENTER_STANDBY, so every instance an invocation has moved, or may be about to move,
 * carries it: the budget is counted from these tags, read from the cloud each run.
 */
export const QUARANTINED_AT_TAG = "channel-autoscaler-quarantined-at";

/**
 * An invocation sends its ENTER_STANDBY within this time of writing the tags, or not at all. Until it
 * lands, another invocation's first read sees those tags on instances still in service, cannot tell
 * them from a crash's leftovers, and removes them: the quarantine is then invisible to that invocation.
 * This keeps the time in which that can happen short, and with it the number of invocations that can
 * overlap that way (docs/replace-unhealthy.md).
 */
export const ACT_WITHIN_SECONDS = 45;

const STANDBY_STATES: ReadonlySet<string> = new Set(["STANDBY", "ENTERING_STANDBY"]);

/** Whether AS reports the instance in standby or on its way there (ListScalingInstances `life_cycle_state`). */
export const isInStandby = (i: GroupInstance): boolean => STANDBY_STATES.has(i.life_cycle_state ?? "");

/** The instances whose quarantined-at tag the budget needs: those in service or in standby. */
export const budgetRelevant = (i: GroupInstance): boolean =>
  isInStandby(i) || i.life_cycle_state === "INSERVICE";

/** The replacement budget of one scaling group. */
export interface GroupBudget {
  maxInStandby: number;
  cooldownSeconds: number;
}

/**
 * The budget of a group from the settings of every binding that names it: the strictest of them (the
 * smallest max_in_standby, the longest cooldown_seconds), so that no binding's limit is ever exceeded.
 */
export function groupBudget(
  settings: readonly Pick<ReplaceUnhealthy, "max_in_standby" | "cooldown_seconds">[],
): GroupBudget {
  return {
    maxInStandby: Math.min(...settings.map((s) => s.max_in_standby)),
    cooldownSeconds: Math.max(...settings.map((s) => s.cooldown_seconds)),
  };
}

/** An instance that holds budget. */
export interface Claim {
  instanceId: string;
  /** The tag's epoch seconds; undefined when it is not a number (the instance still holds budget). */
  at: number | undefined;
  /** In STANDBY or ENTERING_STANDBY; otherwise in service, another invocation's quarantine in flight. */
  standby: boolean;
}

/** What a group's instances and their quarantined-at tags say about its budget. */
export interface BudgetReading {
  claims: Claim[];
  /**
   * In service and tagged, whatever the tag's age or value: left by a crash between tag and standby or
   * by a quarantine that was held back, or another invocation's quarantine in flight, which a single
   * read cannot tell from those.
   */
  leftovers: string[];
  /** In service or in standby, but ECS's answer left their tags out: the budget cannot be counted. */
  unread: string[];
}

const parseAt = (value: string): number | undefined => (/^\d{1,12}$/.test(value) ? Number(value) : undefined);

/**
 * Reads the budget from a group's instances and the quarantined-at tags read for them (instance id →
 * value; instances whose tags were not asked for have no entry; `unread`: asked for, but left out of
 * ECS's answer). Pure. Only an instance in STANDBY or ENTERING_STANDBY with the tag holds budget,
 * whatever the tag's age; a tag on an instance in service holds none and starts no cooldown. Tags on
 * instances in other states (being added or removed) neither hold budget nor are leftovers: none of
 * them can be moved to standby.
 */
export function readBudget(
  instances: Iterable<GroupInstance>,
  tags: ReadonlyMap<string, string>,
  unread: ReadonlySet<string> = new Set(),
): BudgetReading {
  const reading: BudgetReading = { claims: [], leftovers: [], unread: [] };
  for (const i of instances) {
    if (unread.has(i.instance_id) && budgetRelevant(i)) reading.unread.push(i.instance_id);
    const raw = tags.get(i.instance_id);
    if (raw === undefined) continue;
    if (isInStandby(i)) reading.claims.push({ instanceId: i.instance_id, at: parseAt(raw), standby: true });
    else if (i.life_cycle_state === "INSERVICE") reading.leftovers.push(i.instance_id);
  }
  return reading;
}

/** Epoch seconds (as the function's server tags hold them) as an ISO time without milliseconds, for messages. */
export const iso = (seconds: number) => new Date(seconds * 1000).toISOString().replace(/\.000Z$/, "Z");

/**
 * Why the budget does not allow these instances to enter standby now, or undefined when it does. Pure.
 * Allowed when the claims and the batch together are at most max_in_standby instances, and no claim
 * outside the batch was tagged within cooldown_seconds. A claim on an instance of the batch is the same
 * quarantine (two invocations chose the same instance; AS moves it once), so it neither counts twice
 * nor starts a cooldown against itself.
 */
export function budgetRefusal(
  reading: BudgetReading,
  batch: readonly string[],
  budget: GroupBudget,
  now: number,
): string | undefined {
  if (reading.unread.length > 0) return `the tags of ${reading.unread.join(", ")} could not be read`;
  const holding = new Set([...reading.claims.map((c) => c.instanceId), ...batch]);
  if (holding.size > budget.maxInStandby) {
    const standby = reading.claims.filter((c) => c.standby).map((c) => c.instanceId);
    const inFlight = reading.claims.filter((c) => !c.standby).map((c) => c.instanceId);
    return [
      `max_in_standby (${budget.maxInStandby}) reached`,
      `in standby: ${standby.join(", ") || "none"}`,
      ...(inFlight.length > 0 ? [`being quarantined: ${inFlight.join(", ")}`] : []),
    ].join("; ");
  }
  const others = reading.claims.filter((c) => !batch.includes(c.instanceId) && c.at !== undefined);
  const latest = Math.max(...others.map((c) => c.at!));
  if (others.length > 0 && Math.floor(now / 1000) - latest < budget.cooldownSeconds) {
    return `cooldown_seconds (${budget.cooldownSeconds}): the latest quarantine in the group began ${iso(latest)}`;
  }
  return undefined;
}

/**
 * The longest prefix of `ranked` (candidates, most urgent first) that the budget allows, and why the
 * rest waits. Pure.
 */
export function affordableBatch(
  ranked: readonly string[],
  reading: BudgetReading,
  budget: GroupBudget,
  now: number,
): { batch: string[]; refusal: string | undefined } {
  let refusal: string | undefined;
  for (let n = ranked.length; n > 0; n--) {
    const why = budgetRefusal(reading, ranked.slice(0, n), budget, now);
    if (why === undefined) return { batch: ranked.slice(0, n), refusal };
    refusal ??= why;
  }
  return { batch: [], refusal };
}

/**
 * The re-count right before the ENTER_STANDBY, on a fresh read of the group and of its tags, made after
 * this invocation wrote the tags of its batch. Pure. Besides the instances in standby, it counts a tag on
 * an instance in service outside the batch when `seen` does not hold it with that value: `seen` is this
 * invocation's first read (less the tags it removed since), so the tag was written after that read, by
 * another invocation about to quarantine that instance. The batch goes ahead only as a whole and only
 * when the budget still allows it. Instances no longer in service, or whose tag is gone (another
 * invocation took it for a leftover), leave the batch: AS would refuse the whole call for one of them.
 * `unread`: instances ECS's answer left out.
 */
export function recheckBatch(
  batch: readonly string[],
  instances: readonly GroupInstance[],
  tags: ReadonlyMap<string, string>,
  seen: ReadonlyMap<string, string>,
  budget: GroupBudget,
  now: number,
  unread: ReadonlySet<string> = new Set(),
): { go: string[]; dropped: string[]; refusal: string | undefined } {
  const byId = new Map(instances.map((i) => [i.instance_id, i]));
  const go = batch.filter((id) => byId.get(id)?.life_cycle_state === "INSERVICE" && tags.has(id));
  const dropped = batch.filter((id) => !go.includes(id));
  if (go.length === 0)
    return { go, dropped, refusal: "no instance of the batch is still in service and tagged" };
  const reading = readBudget(instances, tags, unread);
  for (const id of reading.leftovers) {
    const value = tags.get(id)!;
    if (!batch.includes(id) && seen.get(id) !== value)
      reading.claims.push({ instanceId: id, at: parseAt(value), standby: false });
  }
  const refusal = budgetRefusal(reading, go, budget, now);
  return refusal === undefined ? { go, dropped, refusal } : { go: [], dropped: [...batch], refusal };
}

/**
 * Of the instances whose tag this invocation removed as a leftover, those a listing made after the
 * removal shows in standby: another invocation's quarantine landed between this invocation's reads and
 * its removal. Without the tag back they would never hold budget again. Pure.
 */
export function movedSinceRemoval(removed: readonly string[], instances: readonly GroupInstance[]): string[] {
  const standby = new Set(instances.filter(isInStandby).map((i) => i.instance_id));
  return removed.filter((id) => standby.has(id));
}

/** The budget of every scaling group that a binding with replace_unhealthy names. */
export function groupBudgets(
  bindings: readonly Pick<Binding, "scaling_group_id" | "replace_unhealthy">[],
): Map<string, GroupBudget> {
  const settings = new Map<string, ReplaceUnhealthy[]>();
  for (const b of bindings) {
    if (!b.replace_unhealthy) continue;
    settings.set(b.scaling_group_id, [...(settings.get(b.scaling_group_id) ?? []), b.replace_unhealthy]);
  }
  return new Map([...settings].map(([id, s]) => [id, groupBudget(s)]));
}
