import { describeError } from "../cloud/errors";
import type { Binding } from "../config/schema";
import { isTransient } from "../reliability/classify";
import type { DeadLetterAction, DeadLetterSink } from "../reliability/dead-letter";
import { attemptsOf } from "../reliability/retry";
import type { DesiredMember } from "./desired";
import type { Target } from "./targets";
import { type BindingOutcome, emptyCounts, type PlanEntry, type SyncCounts, type SyncResult } from "./types";

/**
 * What one run did and could not do: the plan entries with their status, the counts of the summary,
 * each binding's outcome, and a dead letter for every action that failed.
 */
export class RunLedger {
  readonly plan: PlanEntry[] = [];
  readonly counts: SyncCounts;
  private readonly outcomes = new Map<Binding, BindingOutcome>();

  constructor(
    bindings: readonly Binding[],
    private readonly deadLetters: DeadLetterSink,
  ) {
    this.counts = emptyCounts(bindings.length);
    for (const b of bindings) this.outcomes.set(b, "ok");
  }

  result(): SyncResult {
    return { counts: this.counts, plan: this.plan, outcomes: this.outcomes };
  }

  /** True when some action for one of these bindings failed this run. */
  hasFailed(bindings: readonly Binding[]): boolean {
    return bindings.some((b) => (this.outcomes.get(b) ?? "ok") !== "ok");
  }

  fail(bindings: readonly Binding[], action: DeadLetterAction, err: unknown, instanceIds: string[]): void {
    const transient = isTransient(err);
    for (const b of bindings) {
      const prev = this.outcomes.get(b);
      if (prev === "ok" || prev === undefined) this.outcomes.set(b, transient ? "transient" : "permanent");
      else if (prev === "transient" && !transient) this.outcomes.set(b, "permanent");
      this.deadLetters.add({
        action,
        binding: b,
        instanceIds,
        error: describeError(err),
        attempts: attemptsOf(err),
      });
    }
  }

  /** Splits a failure over the bindings the instances came from (a shared target has several). */
  failInstances(target: Target, action: DeadLetterAction, err: unknown, members: DesiredMember[]): void {
    const byGroup = new Map<string, string[]>();
    for (const m of members)
      byGroup.set(m.scaling_group_id, [...(byGroup.get(m.scaling_group_id) ?? []), m.ecs_id]);
    for (const [groupId, ids] of byGroup) {
      const binding = target.bindings.find((b) => b.scaling_group_id === groupId) ?? target.bindings[0]!;
      this.fail([binding], action, err, ids);
    }
  }

  entry(e: Omit<PlanEntry, "status">): PlanEntry {
    const full: PlanEntry = { ...e, status: "planned" };
    this.plan.push(full);
    return full;
  }
}
