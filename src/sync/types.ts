import type { AutoScalingClient } from "../cloud/autoscaling";
import type { Deadline } from "../cloud/deadline";
import type { EcsClient } from "../cloud/ecs";
import type { GatewayClient } from "../cloud/gateway";
import type { StandbyClient } from "../cloud/standby";
import type { Binding } from "../config/schema";
import { DEFAULT_TUNING, type Tuning } from "../config/tuning";
import type { Logger } from "../observability/logger";
import type { DeadLetterSink } from "../reliability/dead-letter";
import type { HealthCheckMemory } from "./health-check-memory";

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
  /** A warm instance's memory of the health checks it found as wanted; without one, every run compares. */
  healthChecks?: HealthCheckMemory;
}

export interface SyncOptions {
  dryRun: boolean;
  /** Channels reconciled at once; writes within one channel are always serialised. */
  maxConcurrency: number;
  /** Members per POST. */
  addChunkSize: number;
  /** Time kept back after a drain wait for the deletes and hook callbacks that follow it. */
  drainReserveMs: number;
  /** How often to re-read APIG member health while a launch hook waits for `healthy`. */
  healthPollIntervalMs: number;
  /** How long one invocation may wait for health before leaving the hook to the next run. */
  healthWaitMaxMs: number;
  /**
   * The bindings that came from AS group tags: each acts only on a member group the function owns
   * (../plan/ownership.ts), checked before the first write to it.
   */
  tagBound: ReadonlySet<Binding>;
  /**
   * The event is a lifecycle-hook message: hanging hooks are listed beside the first page of instances
   * rather than once a page shows an instance waiting on one.
   */
  hooksAtOnce: boolean;
}

export const DEFAULT_SYNC_OPTIONS: SyncOptions = {
  dryRun: false,
  maxConcurrency: DEFAULT_TUNING.maxConcurrency,
  addChunkSize: 100,
  drainReserveMs: 5_000,
  healthPollIntervalMs: DEFAULT_TUNING.healthPollIntervalMs,
  healthWaitMaxMs: DEFAULT_TUNING.healthWaitMaxMs,
  tagBound: new Set(),
  hooksAtOnce: false,
};

/**
 * The options of a run from its configuration's tuning (the knobs that share their names), its tag
 * bindings and whether its event is a lifecycle-hook message.
 */
export function syncOptions(
  tuning: Tuning,
  dryRun: boolean,
  tagBound: ReadonlySet<Binding>,
  hooksAtOnce = false,
): SyncOptions {
  return {
    ...DEFAULT_SYNC_OPTIONS,
    dryRun,
    tagBound,
    hooksAtOnce,
    maxConcurrency: tuning.maxConcurrency,
    healthPollIntervalMs: tuning.healthPollIntervalMs,
    healthWaitMaxMs: tuning.healthWaitMaxMs,
  };
}
