import type { Member } from "../cloud/gateway";
import type { DesiredMember } from "./desired";
import { healthHolds, rampApplies, rampWeight, startWeight } from "./slow-start";

export type MemberType = "ecs" | "ip";

/**
 * The member type that listed members prove, if any. A member without an `ecs_id` proves an `ip`
 * channel: an `ecs` channel refuses members without one (`MemberInfo.ecs_id` is "required when the
 * backend type is ecs", huaweicloud-sdk-go-v3 `services/roma/v2/model/model_member_info.go`). An `ecs_id` proves
 * nothing: the members this function adds to `ip` channels carry their instance's id as well (it is
 * their identity from run to run), so only the channel itself can say it is an `ecs` one.
 */
export function memberTypeOfListing(members: Iterable<Member>): MemberType | undefined {
  for (const m of members) if (!m.ecs_id && m.host) return "ip";
  return undefined;
}

export interface PlanInput {
  desired: readonly DesiredMember[];
  /** Members of the target's member group, as listed. */
  actual: readonly Member[];
  /**
   * The channel's member type, when known. Unknown, the plan writes what fits it best without a read:
   * adds as an `ecs` channel takes them (the gateway refuses them with a parameter error on an `ip`
   * channel, and the run then reads the channel and writes them again), updates with the member's
   * listed address besides its `ecs_id`, which either type takes.
   */
  memberType: MemberType | undefined;
  /** Private IPv4 per instance id (ip channels). */
  ips: ReadonlyMap<string, string>;
  /** The clock slow start reads a member's age by (milliseconds since the epoch). */
  now: number;
  /**
   * The channel checks member health (a binding's `health_check`, or the channel as read): an APIG
   * member reported `unknown` there has not been found healthy yet, and its ramp waits.
   */
  healthChecked?: boolean;
}

/** A member field's value as listed (`null`: the member does not carry it) and the value a run sends. */
export type FieldValue = string | number | boolean | null;

export interface Upsert {
  /** `ramp`: a slow-start raise, of the weight alone. */
  kind: "add" | "update" | "ramp";
  desired: DesiredMember;
  /** The weight to send: the binding's, or on a binding that ramps, the ramp's (an add starts low). */
  weight: number;
  /** Where slow start chose `weight`: the ramp's step (0 at the add, SLOW_START_STEPS at the full weight). */
  rampStep?: number;
  /** For updates: the member being updated and the fields that differ. */
  member?: Member;
  changes: string[];
  /** The differing fields' values: as the member has them, and as they will be. */
  from?: Record<string, FieldValue>;
  to?: Record<string, FieldValue>;
  /** ip channels: the address to send. */
  host?: string;
}

export interface Removal {
  member: Member;
  /** Instance the member stands for, when it says (ecs_id). */
  instanceId: string | undefined;
  reason: "not_desired" | "duplicate" | "replaced";
  /** Still enabled: disable and drain before the delete. */
  drain: boolean;
}

export interface TargetPlan {
  upserts: Upsert[];
  /** Disabled members of desired instances, to enable again. */
  enable: Member[];
  removals: Removal[];
  unchanged: number;
  /** Desired instances that need an address before they can be added (ip channels). */
  needsAddress: string[];
  /**
   * True when the plan cannot be written without the member type and it is unknown: a member's port
   * changes, which on an `ip` channel makes it another member (its address and port are its identity),
   * on an `ecs` channel not. Read the channel and plan again.
   */
  needsMemberType: boolean;
  /** Instance id → member (present after this plan is applied), for hook decisions. */
  memberFor: Map<string, Member | undefined>;
  /** Members of a ramping binding whose `create_time` cannot tell their age: given their weight at once. */
  undated: Member[];
}

const isEnabled = (m: Member) => (m.status ?? 1) !== 2;

/** Prefer the member that serves (enabled), then the oldest, then the smallest id: stable across runs. */
function better(a: Member, b: Member): Member {
  if (isEnabled(a) !== isEnabled(b)) return isEnabled(a) ? a : b;
  const ta = a.create_time ?? "";
  const tb = b.create_time ?? "";
  if (ta !== tb) return ta < tb ? a : b;
  return a.id <= b.id ? a : b;
}

interface Differences {
  changes: string[];
  from: Record<string, FieldValue>;
  to: Record<string, FieldValue>;
}

/** The weight and ramp step of a new member: the ramp's start where the binding ramps. */
function addWeight(d: DesiredMember): Pick<Upsert, "weight" | "rampStep"> {
  return rampApplies(d.weight, d.slow_start_seconds)
    ? { weight: startWeight(d.weight), rampStep: 0 }
    : { weight: d.weight };
}

function differences(
  desired: DesiredMember,
  member: Member,
  matchedById: boolean,
  weight: number,
): Differences {
  const d: Differences = { changes: [], from: {}, to: {} };
  const differ = (field: string, from: FieldValue, to: FieldValue) => {
    d.changes.push(field);
    d.from[field] = from;
    d.to[field] = to;
  };
  if ((member.weight ?? 1) !== weight) differ("weight", member.weight ?? 1, weight);
  if ((member.is_backup ?? false) !== desired.is_backup)
    differ("is_backup", member.is_backup ?? false, desired.is_backup);
  if (desired.port !== undefined && member.port !== desired.port)
    differ("port", member.port ?? null, desired.port);
  // A member matched by its address may not carry ECS fields at all (ip channels); don't chase them.
  if (matchedById && (member.ecs_name ?? "") !== desired.ecs_name)
    differ("ecs_name", member.ecs_name ?? null, desired.ecs_name);
  return d;
}

/** The upsert fields of a change: none when nothing differs. */
function changeFields(d: Differences): Pick<Upsert, "changes" | "from" | "to"> {
  return d.changes.length > 0 ? d : { changes: [] };
}

/**
 * The difference between what a target should hold and what it holds, by identity (the instance id,
 * or the private address on ip channels). Pure: same input, same plan. On a binding with slow start, a
 * member's weight is the ramp's (slow-start.ts): adds start low, and a raise of the weight alone is a
 * `ramp`, not an `update`.
 */
export function planTarget(input: PlanInput): TargetPlan {
  const { desired, actual, memberType, ips, now, healthChecked = false } = input;
  const byInstance = new Map<string, Member>();
  const removals: Removal[] = [];
  const unclaimed: Member[] = [];

  for (const m of actual) {
    if (!m.ecs_id) {
      unclaimed.push(m);
      continue;
    }
    const seen = byInstance.get(m.ecs_id);
    if (!seen) {
      byInstance.set(m.ecs_id, m);
      continue;
    }
    const keep = better(seen, m);
    const drop = keep === seen ? m : seen;
    byInstance.set(m.ecs_id, keep);
    removals.push({
      member: drop,
      instanceId: drop.ecs_id ?? undefined,
      reason: "duplicate",
      drain: isEnabled(drop),
    });
  }

  // ip channels: members without an ECS id are claimed by their address.
  const byHost = new Map<string, Member>();
  for (const m of unclaimed) {
    const host = m.host ?? "";
    const seen = byHost.get(host);
    if (host !== "" && !seen) byHost.set(host, m);
    else if (seen) {
      const keep = better(seen, m);
      const drop = keep === seen ? m : seen;
      byHost.set(host, keep);
      removals.push({ member: drop, instanceId: undefined, reason: "duplicate", drain: isEnabled(drop) });
    } else removals.push({ member: m, instanceId: undefined, reason: "not_desired", drain: isEnabled(m) });
  }

  const upserts: Upsert[] = [];
  const enable: Member[] = [];
  const needsAddress: string[] = [];
  const memberFor = new Map<string, Member | undefined>();
  const claimed = new Set<Member>();
  const undated: Member[] = [];
  let unchanged = 0;
  let needsMemberType = false;

  for (const d of desired) {
    let member = byInstance.get(d.ecs_id);
    const matchedById = member !== undefined;
    if (!member) {
      const ip = ips.get(d.ecs_id);
      member = ip === undefined ? undefined : byHost.get(ip);
    }
    if (!member) {
      const host = ips.get(d.ecs_id);
      if (memberType === "ip" && host === undefined) {
        needsAddress.push(d.ecs_id);
        continue;
      }
      upserts.push({
        kind: "add",
        desired: d,
        ...addWeight(d),
        changes: [],
        ...(memberType === "ip" ? { host } : {}),
      });
      memberFor.set(d.ecs_id, undefined);
      continue;
    }
    claimed.add(member);
    memberFor.set(d.ecs_id, member);
    const ramp = rampWeight({
      weight: d.weight,
      windowSeconds: d.slow_start_seconds,
      current: member.weight ?? 1,
      createTime: member.create_time,
      now,
      held: healthHolds(member.health_status, healthChecked),
    });
    const diff = differences(d, member, matchedById, ramp.weight);
    const { changes } = diff;
    const host =
      memberType === "ip"
        ? (ips.get(d.ecs_id) ?? member.host ?? undefined)
        : memberType === undefined
          ? member.host || undefined
          : undefined;
    // On ip channels the address and port are the member's identity: changing them makes a new member.
    const replace =
      memberType === "ip" && (changes.includes("port") || (host !== undefined && member.host !== host));
    if (replace) {
      claimed.delete(member);
      // A new member for the instance: it ramps from the start again, as any new member does.
      const add = addWeight(d);
      upserts.push({
        kind: "add",
        desired: d,
        ...add,
        ...changeFields(differences(d, member, matchedById, add.weight)),
        host,
      });
      removals.push({ member, instanceId: d.ecs_id, reason: "replaced", drain: isEnabled(member) });
      continue;
    }
    if (ramp.undated && changes.includes("weight")) undated.push(member);
    if (changes.length > 0) {
      if (memberType === undefined && changes.includes("port")) needsMemberType = true;
      // Where the ramp applies (a step) it only ever raises the weight (rampWeight): a change of the
      // weight alone is a ramp step.
      const weightAlone = changes.length === 1 && changes[0] === "weight";
      upserts.push({
        kind: weightAlone && ramp.step !== undefined ? "ramp" : "update",
        desired: d,
        member,
        weight: ramp.weight,
        ...(ramp.step !== undefined ? { rampStep: ramp.step } : {}),
        ...changeFields(diff),
        ...(host !== undefined ? { host } : {}),
      });
    } else if (isEnabled(member)) unchanged += 1;
    if (!isEnabled(member)) enable.push(member);
  }

  const desiredIds = new Set(desired.map((d) => d.ecs_id));
  for (const m of byInstance.values()) {
    if (!claimed.has(m) && !desiredIds.has(m.ecs_id ?? "")) {
      removals.push({
        member: m,
        instanceId: m.ecs_id ?? undefined,
        reason: "not_desired",
        drain: isEnabled(m),
      });
    }
  }
  for (const m of byHost.values()) {
    // While a desired instance's address is unknown (ECS failed or has none yet), an address-only member
    // may be that instance's: keep it rather than take a healthy backend out.
    if (!claimed.has(m) && needsAddress.length === 0)
      removals.push({ member: m, instanceId: undefined, reason: "not_desired", drain: isEnabled(m) });
  }

  return { upserts, enable, removals, unchanged, needsAddress, needsMemberType, memberFor, undated };
}

/**
 * Whether the channel's health rule decides a plan: on APIG, a ramping member the gateway reports
 * `unknown` waits where the channel checks health and rises where it does not (healthHolds), and only
 * the channel can say which. Where the plans agree, no read is needed to know. `unchecked` is the plan
 * of the same input without a health check, which the caller has made already.
 */
export function healthRuleDecides(input: Omit<PlanInput, "healthChecked">, unchecked: TargetPlan): boolean {
  // The health rule enters a plan only through healthHolds, which tells the two apart only for `unknown`.
  if (!input.actual.some((m) => m.health_status === "unknown")) return false;
  const weights = (plan: TargetPlan) => plan.upserts.map((u) => `${u.desired.ecs_id}:${u.weight}`).join();
  return weights(unchecked) !== weights(planTarget({ ...input, healthChecked: true }));
}

/**
 * Whether the plan changes the member group: adds, updates, re-enables or removals; a slow-start raise
 * (a weight step of a member already there) does not. From part of the instances (`partial`: a first
 * page) removals do not count: a member that looks stray may belong to an instance not read yet.
 */
export function changesMembers(plan: TargetPlan, partial = false): boolean {
  if (plan.upserts.some((u) => u.kind !== "ramp") || plan.enable.length > 0) return true;
  return !partial && plan.removals.length > 0;
}

/** True when applying the plan would write nothing. */
export function isEmptyPlan(plan: TargetPlan): boolean {
  return plan.upserts.length === 0 && plan.enable.length === 0 && plan.removals.length === 0;
}

/** A plan that only drains these members (their instances just went to standby). */
export function drainPlan(members: readonly Member[]): TargetPlan {
  return {
    upserts: [],
    enable: [],
    removals: members.map((member) => ({
      member,
      instanceId: member.ecs_id ?? undefined,
      reason: "not_desired" as const,
      drain: true,
    })),
    unchanged: 0,
    needsAddress: [],
    needsMemberType: false,
    memberFor: new Map(),
    undated: [],
  };
}
