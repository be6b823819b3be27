import { emptyCounts, type PlanEntry, type SyncCounts } from "./types";

/** What a run's plans found that is no action, so has no plan entry. */
export type PlanFindings = Partial<Pick<SyncCounts, "unchanged" | "quarantine_guarded">>;

/**
 * The summary's counts, derived from the run's plan entries so they can never disagree with the plan.
 * Only entries whose status is `done` count:
 * - `added`: add entries; `updated`: update and enable (re-enable) entries;
 * - `disabled`: disable entries; `removed`: delete entries (one that found the member already gone
 *   included), and disable entries that found the member already gone (`already_done`);
 * - `hooks_completed`: complete_hook entries, except those that found the hook no longer waiting
 *   (`already_done`: someone else completed it);
 * - `quarantined`: quarantine entries.
 * `bindings` and the plan's findings that are no action, so have no entry (`unchanged`: members that
 * needed nothing; `quarantine_guarded`: targets where too many members were unhealthy to replace any),
 * come from the run itself.
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
    switch (e.action) {
      case "add":
        counts.added += 1;
        break;
      case "update":
      case "enable":
        counts.updated += 1;
        break;
      case "disable":
        if (e.already_done) counts.removed += 1;
        else counts.disabled += 1;
        break;
      case "delete":
        counts.removed += 1;
        break;
      case "complete_hook":
        if (!e.already_done) counts.hooks_completed += 1;
        break;
      case "quarantine":
        counts.quarantined += 1;
        break;
      default:
        break;
    }
  }
  return counts;
}
