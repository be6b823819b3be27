import type { Channel, Member } from "../cloud/gateway";
import type { Logger } from "../observability/logger";
import type { TargetOutcome } from "../plan/decide-hook";
import type { TargetPlan, Upsert } from "../plan/plan-members";
import type { Target } from "../plan/targets";
import type { PlanEntry } from "../plan/types";

/** An upsert and its plan entry, kept together so a retry after the removals updates the same entry. */
export interface DeferredUpsert {
  upsert: Upsert;
  entry: PlanEntry;
}

/** An upsert the gateway refused with a parameter error while the run wrote on a guess, and the refusal. */
export interface RefusedUpsert extends DeferredUpsert {
  error: unknown;
}

/**
 * One target's pass through a run: what it is, what its plan says, and what the writes left (the
 * outcome the lifecycle hooks are decided from), with the two things carried from the writes to the
 * steps after the drain: the members to delete and the adds deferred for the member quota.
 */
export interface TargetRun {
  target: Target;
  plan: TargetPlan;
  outcome: TargetOutcome;
  /** The channel's logger (channel and bindings bound). */
  log: Logger;
  /** Members disabled (or found disabled) and waiting for the drain, then deleted. */
  toDelete: Member[];
  /** Upserts refused for the member quota while removals were to come: written again after the deletes. */
  deferred: DeferredUpsert[];
  /**
   * The upserts are written on a guess: no channel read says that the member group exists (its listing
   * is empty) or which member type the channel takes (the listing does not prove it). A parameter
   * error refusing them then sends them to `refused`, to be written again once the channel is read.
   */
  guessed: boolean;
  refused: RefusedUpsert[];
}

/** A target's run before any write: every member the plan keeps counts as present. */
export function startTargetRun(
  target: Target,
  plan: TargetPlan,
  channel: Channel | undefined,
  log: Logger,
  guessed: boolean,
): TargetRun {
  return {
    target,
    plan,
    outcome: { target, failed: false, present: new Map(plan.memberFor), lingering: new Set(), channel },
    log,
    toDelete: [],
    deferred: [],
    guessed,
    refused: [],
  };
}
