import { isTransient } from "../cloud/classify";
import { describeError } from "../cloud/errors";
import { attemptsOf } from "../cloud/retry";
import type { Binding } from "../config/schema";
import { countsOf, type PlanFindings } from "../plan/counts";
import type { DesiredMember } from "../plan/desired";
import type { Target } from "../plan/targets";
import type { BindingOutcome, PlanEntry, SyncResult } from "../plan/types";
import type { DeadLetterAction, DeadLetterInput, DeadLetterSink } from "../reliability/dead-letter";

/**
 * What one run did and could not do: the plan entries with their status, each binding's outcome, and
 * a dead letter for every action that failed. The summary's counts are derived from the entries.
 */
export class RunLedger {
  readonly plan: PlanEntry[] = [];
  /** What the plans found that is no action (members that needed nothing, a tripped guard). */
  private readonly findings: Required<PlanFindings> = { unchanged: 0, quarantine_guarded: 0 };
  private readonly outcomes = new Map<Binding, BindingOutcome>();

  constructor(
    private readonly bindings: readonly Binding[],
    private readonly deadLetters: DeadLetterSink,
  ) {
    for (const b of bindings) this.outcomes.set(b, "ok");
  }

  result(): SyncResult {
    return {
      counts: countsOf(this.plan, this.bindings.length, this.findings),
      plan: this.plan,
      outcomes: this.outcomes,
    };
  }

  /** A target's plan found this many members already as desired. */
  addUnchanged(n: number): void {
    this.findings.unchanged += n;
  }

  /** A target had too many unhealthy members to replace any (replace_unhealthy's guard). */
  addQuarantineGuarded(): void {
    this.findings.quarantine_guarded += 1;
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

  /**
   * Records bindings the run will not act on for a reason of its own (no cloud call failed): one dead
   * letter each, and their outcome is permanent (a later run succeeds only once someone acts).
   */
  refuse(
    bindings: readonly Binding[],
    action: DeadLetterAction,
    error: DeadLetterInput["error"],
    detail: Record<string, unknown>,
  ): void {
    for (const b of bindings) {
      this.outcomes.set(b, "permanent");
      this.deadLetters.add({ action, binding: b, error, attempts: 1, detail });
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
