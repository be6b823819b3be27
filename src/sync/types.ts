import type { AutoScalingClient, HookResult } from "../cloud/autoscaling";
import type { EcsClient } from "../cloud/ecs";
import type { GatewayClient } from "../cloud/gateway";
import type { StandbyClient } from "../cloud/standby";
import type { Binding } from "../config/schema";
import { DEFAULT_TUNING } from "../config/tuning";
import type { Logger } from "../observability/logger";
import type { DeadLetterSink } from "../reliability/dead-letter";
import type { Deadline } from "../reliability/deadline";

export interface SyncDeps {
  gateway: GatewayClient;
  autoscaling: AutoScalingClient;
  ecs: EcsClient;
  standby: StandbyClient;
  logger: Logger;
  deadline: Deadline;
  deadLetters: DeadLetterSink;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export interface SyncOptions {
  dryRun: boolean;
  /** Channels reconciled at once; writes within one channel are always serialised. */
  channelConcurrency: number;
  /** Members per POST. */
  addChunkSize: number;
  /** Time kept back after a drain wait for the deletes and hook callbacks that follow it. */
  drainReserveMs: number;
  /** How often to re-read APIG member health while a launch hook waits for `healthy`. */
  healthPollIntervalMs: number;
  /** How long one invocation may wait for health before leaving the hook to the next run. */
  healthWaitMaxMs: number;
}

export const DEFAULT_SYNC_OPTIONS: SyncOptions = {
  dryRun: false,
  channelConcurrency: DEFAULT_TUNING.maxConcurrency,
  addChunkSize: 100,
  drainReserveMs: 5_000,
  healthPollIntervalMs: DEFAULT_TUNING.healthPollIntervalMs,
  healthWaitMaxMs: DEFAULT_TUNING.healthWaitMaxMs,
};

export type PlanAction =
  | "update_channel"
  | "add"
  | "update"
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
  reason?: string;
  status: "planned" | "done" | "failed" | "skipped";
  /** Done, but not by this run's write: the member was already gone, or the hook no longer waited. */
  already_done?: true;
}

export interface SyncCounts {
  bindings: number;
  added: number;
  updated: number;
  removed: number;
  disabled: number;
  unchanged: number;
  hooks_completed: number;
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
