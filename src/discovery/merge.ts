import {
  type Binding,
  crossBindingConflicts,
  SHARED_TARGET_FIELDS,
  sharedTargetDifferences,
} from "../config/schema";
import { allowsChannel, notAllowedRule, type TagBindingAllowList } from "../config/tag-consent";
import { targetKey } from "../plan/identity";
import { BINDING_TAGS, CHANNEL_TAG, MEMBER_GROUP_TAG, type TagBindingResult, type TagProblem } from "./tags";

export type BindingSource = "bindings" | "tags";

/**
 * Why a tagged group is left out: its tags are invalid or disagree with others (`invalid_tags`), or they
 * name a channel TAG_BINDINGS_ALLOWED does not list (`not_allowed`).
 */
export type SkipReason = "invalid_tags" | "not_allowed";

/** A tagged group that is not reconciled this run, and why. */
export interface SkippedGroup {
  scaling_group_id: string;
  reason: SkipReason;
  problems: TagProblem[];
  /** The binding its tags describe, when they are valid (a `not_allowed` group). */
  binding?: Binding;
}

/** What one group's tags said, as discovery read them. */
export interface DiscoveredGroup {
  scaling_group_id: string;
  result: TagBindingResult;
}

/** BINDINGS and the tag bindings, merged: what a run reconciles, and what it leaves out. */
export interface BindingSet {
  /** BINDINGS first, in their order, then the tag bindings. */
  bindings: Binding[];
  /** The bindings that came from tags. */
  discovered: ReadonlySet<Binding>;
  /** Tagged groups that BINDINGS names too: BINDINGS wins. */
  shadowed: string[];
  skipped: SkippedGroup[];
}

export const sourceOf = (set: BindingSet, b: Binding): BindingSource =>
  set.discovered.has(b) ? "tags" : "bindings";

/** Scaling group id → where its binding came from. */
export function sourcesOf(set: BindingSet): Map<string, BindingSource> {
  return new Map(set.bindings.map((b) => [b.scaling_group_id, sourceOf(set, b)]));
}

const show = (value: unknown): string =>
  value === undefined ? "unset" : typeof value === "object" ? JSON.stringify(value) : String(value);

const tagOfField = (field: string): string =>
  Object.entries(BINDING_TAGS).find(([, spec]) => spec.field === field)?.[0] ?? MEMBER_GROUP_TAG;

/**
 * Merges BINDINGS with the bindings discovered from tags (pure). BINDINGS was validated as a whole and
 * always wins: a group it names is taken from it, and a tag binding that disagrees with a BINDINGS
 * binding on a shared member group is skipped. A group with bad tags is skipped alone, and so are the
 * tag bindings of a member group whose tag bindings disagree with each other, or that a group with bad
 * tags names: reconciling the others alone would remove that group's members. A tag binding whose
 * channel `allowed` (TAG_BINDINGS_ALLOWED) does not list is skipped before anything else looks at it.
 * Tag bindings come in scaling group id order.
 */
export function mergeBindings(
  env: readonly Binding[],
  discovered: readonly DiscoveredGroup[],
  allowed: TagBindingAllowList,
): BindingSet {
  const envGroups = new Set(env.map((b) => b.scaling_group_id));
  const shadowed: string[] = [];
  const skipped: SkippedGroup[] = [];
  const heldBy = new Map<string, string>();
  const candidates: Binding[] = [];
  // AS lists newest first; by id, shards and logs stay the same from run to run.
  const byId = [...discovered].sort((a, b) => (a.scaling_group_id < b.scaling_group_id ? -1 : 1));
  for (const d of byId) {
    if (envGroups.has(d.scaling_group_id)) shadowed.push(d.scaling_group_id);
    else if (!d.result.ok) {
      skipped.push({
        scaling_group_id: d.scaling_group_id,
        reason: "invalid_tags",
        problems: d.result.problems,
      });
      if (d.result.targetKey && !heldBy.has(d.result.targetKey))
        heldBy.set(d.result.targetKey, d.scaling_group_id);
    } else if (!allowsChannel(allowed, d.result.binding)) {
      const b = d.result.binding;
      skipped.push({
        scaling_group_id: b.scaling_group_id,
        reason: "not_allowed",
        problems: [{ tag: CHANNEL_TAG, value: b.vpc_channel_id, rule: notAllowedRule(b) }],
        binding: b,
      });
    } else candidates.push(d.result.binding);
  }

  const skip = (b: Binding, problem: TagProblem) =>
    skipped.push({ scaling_group_id: b.scaling_group_id, reason: "invalid_tags", problems: [problem] });

  const unheld: Binding[] = [];
  for (const b of candidates) {
    const holder = heldBy.get(targetKey(b));
    if (holder === undefined) unheld.push(b);
    else
      skip(b, {
        tag: MEMBER_GROUP_TAG,
        value: b.member_group_name,
        rule: `shares its channel member group with group ${holder}, whose tags are invalid (fix them first: reconciling this group alone would remove that group's members)`,
      });
  }

  const merged = [...env, ...unheld];
  const conflicted = new Set(
    crossBindingConflicts(merged)
      .filter((c) => (SHARED_TARGET_FIELDS as readonly (string | undefined)[]).includes(c.field))
      .map((c) => targetKey(merged[c.index]!)),
  );
  const accepted: Binding[] = [];
  for (const b of unheld) {
    const key = targetKey(b);
    if (!conflicted.has(key)) {
      accepted.push(b);
      continue;
    }
    // BINDINGS' binding of the member group wins. Without one, some other tag binding of the member group
    // differs from this one: agreeing is transitive, so each binding of a member group in conflict
    // disagrees with another.
    const fromEnv = env.find((e) => targetKey(e) === key);
    const reference =
      fromEnv ?? merged.find((o) => targetKey(o) === key && sharedTargetDifferences(o, b).length > 0);
    const field = (reference ? sharedTargetDifferences(reference, b) : [])[0];
    if (field === undefined) {
      accepted.push(b);
      continue;
    }
    skip(b, {
      tag: tagOfField(field),
      value: show(b[field]),
      rule: `${field} differs from group ${reference!.scaling_group_id} (${fromEnv ? "BINDINGS" : "tags"}: ${show(reference![field])}), which names the same channel member group`,
    });
  }
  return {
    bindings: [...env, ...accepted],
    discovered: new Set(accepted),
    shadowed,
    skipped,
  };
}
