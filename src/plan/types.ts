import type { HookResult } from "../cloud/autoscaling";
import type { Binding } from "../config/schema";

export type PlanAction =
  | "update_channel"
  | "add"
  | "update"
  | "ramp"
  | "enable"
  | "disable"
  | "delete"
  | "complete_hook"
  | "wait_hook"
  | "quarantine"
  | "fan_out";

export interface PlanEntry {
  action: PlanAction;
  channel: string;
  member_group_name?: string;
  scaling_group_id?: string;
  /** fan_out: the groups handed to one backfill invocation. */
  scaling_group_ids?: string[];
  instance_id?: string;
  member_id?: string;
  changes?: string[];
  /** update: the changed fields' values as listed and as sent (`weight` 1 → 10). */
  from?: Record<string, string | number | boolean | null>;
  to?: Record<string, string | number | boolean | null>;
  result?: HookResult;
  /** Why: a hook's decision, a channel's setup, or `slow_start` for an add at the start weight and a ramp. */
  reason?: string;
  /** Slow start: how far through its window the member's weight step begins (0, 20, …, 100). */
  slow_start_percent?: number;
  status: "planned" | "done" | "failed" | "skipped";
  /** Done, but not by this run's write: the member was already gone, or the hook no longer waited. */
  already_done?: true;
}

/** An entry whose write found its end state already there (a member gone, a hook no longer waiting). */
export function markAlreadyDone(entry: PlanEntry): void {
  entry.status = "done";
  entry.already_done = true;
}

export interface SyncCounts {
  bindings: number;
  added: number;
  updated: number;
  removed: number;
  disabled: number;
  unchanged: number;
  hooks_completed: number;
  /** Members whose weight was raised one slow-start step (a raise toward `weight`, counted here, not as updated). */
  ramping: number;
  /** Instances moved to AS standby with a replacement (replace_unhealthy). */
  quarantined: number;
  /** Bindings where more than max_unhealthy_fraction of the members were unhealthy: nothing replaced. */
  quarantine_guarded: number;
}

/** Counts of a run that has done nothing yet. */
export function emptyCounts(bindings: number): SyncCounts {
  return {
    bindings,
    added: 0,
    updated: 0,
    removed: 0,
    disabled: 0,
    unchanged: 0,
    hooks_completed: 0,
    ramping: 0,
    quarantined: 0,
    quarantine_guarded: 0,
  };
}

export type BindingOutcome = "ok" | "transient" | "permanent";

export interface SyncResult {
  counts: SyncCounts;
  plan: PlanEntry[];
  outcomes: Map<Binding, BindingOutcome>;
}
