import { emptyCounts, type PlanAction, type PlanEntry, type SyncCounts } from "./types";

/** What a run's plans found that is no action, so has no plan entry. */
export type PlanFindings = Partial<Pick<SyncCounts, "unchanged" | "quarantine_guarded">>;

/**
 * The summary count each action's entries add to: an update and a re-enable both count as updated; a
 * slow-start raise counts as ramping.
 */
const COUNTED_AS = {
  add: "added",
  update: "updated",
  ramp: "ramping",
  enable: "updated",
  disable: "disabled",
  delete: "removed",
  complete_hook: "hooks_completed",
  quarantine: "quarantined",
} as const satisfies Partial<Record<PlanAction, keyof SyncCounts>>;

type CountedAction = keyof typeof COUNTED_AS;
type ActionCount = (typeof COUNTED_AS)[CountedAction];

const isCounted = (action: PlanAction): action is CountedAction => Object.hasOwn(COUNTED_AS, action);

/**
 * The count a done entry adds to. One that found its end state already there (`already_done`) counts
 * for what it found: a disabled member already gone was removed, and a hook that no longer waited was
 * completed by someone else, so counts nowhere.
 */
function doneCountOf(e: PlanEntry): ActionCount | undefined {
  if (!isCounted(e.action)) return undefined;
  if (e.already_done && e.action === "disable") return "removed";
  if (e.already_done && e.action === "complete_hook") return undefined;
  return COUNTED_AS[e.action];
}

/**
 * The summary's counts, derived from the run's plan entries so they can never disagree with the plan.
 * Only entries whose status is `done` count, each under its action's count (COUNTED_AS, and
 * doneCountOf for the entries that found their end state already there). `bindings` and the plan's
 * findings that are no action, so have no entry (`unchanged`: members that needed nothing;
 * `quarantine_guarded`: targets where too many members were unhealthy to replace any), come from the
 * run itself.
 */
export function countsOf(
  plan: readonly PlanEntry[],
  bindings: number,
  findings: PlanFindings = {},
): SyncCounts {
  const counts = emptyCounts(bindings);
  counts.unchanged = findings.unchanged ?? 0;
  counts.quarantine_guarded = findings.quarantine_guarded ?? 0;
  for (const e of plan) {
    if (e.status !== "done") continue;
    const count = doneCountOf(e);
    if (count !== undefined) counts[count] += 1;
  }
  return counts;
}

/** What a plan would do, in the summary's words (every entry, whatever its status): a dry run's counts. */
export interface PlannedCounts extends Record<ActionCount, number> {
  /** Launch hooks left waiting. */
  hooks_waiting: number;
  /** Channels whose setup (member groups, health check) would be written. */
  channels_updated: number;
}

export function plannedCounts(plan: readonly PlanEntry[]): PlannedCounts {
  const counts: PlannedCounts = {
    added: 0,
    updated: 0,
    disabled: 0,
    removed: 0,
    hooks_completed: 0,
    ramping: 0,
    quarantined: 0,
    hooks_waiting: 0,
    channels_updated: 0,
  };
  for (const e of plan) {
    if (isCounted(e.action)) counts[COUNTED_AS[e.action]] += 1;
    else if (e.action === "wait_hook") counts.hooks_waiting += 1;
    else if (e.action === "update_channel") counts.channels_updated += 1;
  }
  return counts;
}

const MEMBER_WRITES: ReadonlySet<PlanAction> = new Set([
  "add",
  "update",
  "ramp",
  "enable",
  "disable",
  "delete",
]);

/** Distinct members written this run (a drained and deleted member counts once). */
export function membersChanged(plan: readonly PlanEntry[]): number {
  // Per channel and member group, the members: no key string built per entry (10,000 in a large
  // backfill, at the very end of the run).
  const changed = new Map<string, Map<string | undefined, Set<string | undefined>>>();
  let count = 0;
  for (const e of plan) {
    if (e.status !== "done" || !MEMBER_WRITES.has(e.action)) continue;
    let groups = changed.get(e.channel);
    if (!groups) {
      groups = new Map();
      changed.set(e.channel, groups);
    }
    let members = groups.get(e.member_group_name);
    if (!members) {
      members = new Set();
      groups.set(e.member_group_name, members);
    }
    const before = members.size;
    members.add(e.instance_id ?? e.member_id);
    count += members.size - before;
  }
  return count;
}
