import type { AutoScalingTagsClient } from "../cloud/autoscaling-tags";
import { describeError } from "../cloud/errors";
import { attemptsOf } from "../cloud/retry";
import type { Config } from "../config/load";
import { discoverAll, discoverGroups } from "../discovery/discover";
import type { BindingSet, SkippedGroup } from "../discovery/merge";
import { describeTagProblems } from "../discovery/tags";
import { partitionByBinding } from "../events/groups";
import type { FunctionKind, Selection } from "../events/read";
import type { Logger } from "../observability/logger";
import type { DeadLetterInput, DeadLetterSink } from "../reliability/dead-letter";
import type { DeadLetterCode } from "../reliability/dead-letter-codes";

/** The bindings of BINDINGS alone (tag discovery off). */
export const bindingsOnly = (config: Config): BindingSet => ({
  bindings: config.bindings,
  discovered: new Set(),
  shadowed: [],
  skipped: [],
});

/**
 * Every binding there is: BINDINGS and, with BINDINGS_FROM_TAGS, every tagged group (one query-by-tag
 * call per 1,000 groups carrying the channel tag).
 */
export async function allBindings(config: Config, tags: AutoScalingTagsClient): Promise<BindingSet> {
  return config.bindingsFromTags
    ? discoverAll(tags, config.bindings, config.tagBindingsAllowed)
    : bindingsOnly(config);
}

/** At most this many bound groups are listed in an error: with tags there may be thousands. */
const LISTED_GROUPS = 20;

/** Named groups that no binding of a set names, and how an error names them and the bound groups. */
export interface UnknownGroups {
  ids: string[];
  /** The unknown ids, quoted and comma-joined. */
  named: string;
  /** The bound groups, at most LISTED_GROUPS of them, then how many more. */
  bound: string;
}

/**
 * The groups of a selection that neither BINDINGS nor tags bind, or undefined when there are none. A
 * skipped tagged group is known: its run dead-letters its tag problems.
 */
export function unknownGroups(groups: "all" | readonly string[], set: BindingSet): UnknownGroups | undefined {
  if (groups === "all") return undefined;
  const { unbound } = partitionByBinding(groups, [
    ...set.bindings.map((b) => b.scaling_group_id),
    ...set.skipped.map((s) => s.scaling_group_id),
  ]);
  if (unbound.length === 0) return undefined;
  const bound = [...new Set(set.bindings.map((b) => b.scaling_group_id))];
  const more = bound.length > LISTED_GROUPS ? ` and ${bound.length - LISTED_GROUPS} more` : "";
  return {
    ids: unbound,
    named: unbound.map((id) => JSON.stringify(id)).join(", "),
    bound: `${bound.slice(0, LISTED_GROUPS).join(", ")}${more}`,
  };
}

/** The dead letter of a tagged group left out: its tags are wrong, or they name a channel not allowed. */
function skippedLetter(s: SkippedGroup): DeadLetterInput {
  const skipped = `scaling group ${s.scaling_group_id} skipped: ${describeTagProblems(s.problems)}`;
  const code: DeadLetterCode =
    s.reason === "not_allowed" ? "TAG_BINDING_NOT_ALLOWED" : "INVALID_BINDING_TAGS";
  return {
    action: "tag_binding",
    binding: s.binding ?? null,
    scalingGroupId: s.scaling_group_id,
    error: {
      status: null,
      code,
      message:
        s.reason === "not_allowed"
          ? `${skipped}; nothing is read or written on that channel for it`
          : skipped,
    },
    attempts: 1,
    detail: { scaling_group_id: s.scaling_group_id, source: "tags", problems: s.problems },
  };
}

/**
 * The bindings a run works on: BINDINGS, plus, with BINDINGS_FROM_TAGS, the tagged groups. `reconcile`
 * and `backfill` discover every tagged group once; `scaling-events` reads only the named groups' tags
 * (and the groups sharing their member groups). Shadowed tag bindings are logged; every skipped group
 * of the selection is dead-lettered once, naming the group, the tag and the rule, with a replay of it.
 * Throws what discovery threw: without it no binding is known to be safe to reconcile.
 */
export async function resolveBindings(
  kind: FunctionKind,
  selection: Selection,
  config: Config,
  deps: { tags: AutoScalingTagsClient; logger: Logger; deadLetters: DeadLetterSink },
): Promise<BindingSet> {
  if (!config.bindingsFromTags) return bindingsOnly(config);
  let set: BindingSet;
  try {
    set =
      kind === "scaling-events" && selection.groups !== "all"
        ? await discoverGroups(deps.tags, config.bindings, selection.groups, config.tagBindingsAllowed)
        : await allBindings(config, deps.tags);
  } catch (err) {
    deps.deadLetters.add({
      action: "discover_bindings",
      binding: null,
      error: describeError(err),
      attempts: attemptsOf(err),
      ...(selection.groups !== "all" && selection.groups.length === 1
        ? { scalingGroupId: selection.groups[0] }
        : {}),
    });
    throw err;
  }
  const inSelection = (id: string) => selection.groups === "all" || selection.groups.includes(id);
  for (const id of set.shadowed) {
    if (!inSelection(id)) continue;
    deps.logger.warn("tag binding shadowed: BINDINGS names this group too, and BINDINGS wins", {
      action: "discover_bindings",
      scaling_group_id: id,
    });
  }
  for (const s of set.skipped) if (inSelection(s.scaling_group_id)) deps.deadLetters.add(skippedLetter(s));
  deps.logger.info("bindings discovered from tags", {
    action: "discover_bindings",
    discovered: set.discovered.size,
    shadowed: set.shadowed.length,
    skipped: set.skipped.length,
  });
  return set;
}
