import type { Binding } from "../config/schema";
import { channelKey, targetKeyIn } from "../plan/identity";
import type { PlanEntry } from "../plan/types";
import type { InterruptSignal } from "./interrupt";

/** What an interrupted run left half-done, from its plan entries. */
export interface LeftUndone {
  /** Members this run disabled and did not delete: out of service, still in the channel. */
  disabledNotDeleted: PlanEntry[];
  /** Lifecycle hooks left waiting: AS still holds their instances. */
  hooksWaiting: PlanEntry[];
  /** Every other action that was not done (refused as interrupted, failed, or never tried). */
  otherNotDone: number;
}

const memberKey = (e: PlanEntry) => `${targetKeyIn(e.channel, e.member_group_name)}/${e.member_id}`;

export function leftUndone(plan: readonly PlanEntry[]): LeftUndone {
  const deleted = new Set(plan.filter((e) => e.action === "delete" && e.status === "done").map(memberKey));
  const disabledNotDeleted = plan.filter(
    (e) => e.action === "disable" && e.status === "done" && !e.already_done && !deleted.has(memberKey(e)),
  );
  const hooksWaiting = plan.filter(
    (e) => e.action === "wait_hook" || (e.action === "complete_hook" && e.status !== "done"),
  );
  const listed = new Set([...disabledNotDeleted, ...hooksWaiting]);
  const otherNotDone = plan.filter((e) => e.status !== "done" && !listed.has(e)).length;
  return { disabledNotDeleted, hooksWaiting, otherNotDone };
}

const bindingLine = (b: Binding) =>
  `${b.scaling_group_id} → channel ${channelKey(b)}, member group ${b.member_group_name}`;

/**
 * What an interrupted run says after its report: that it was interrupted, and what it left to do (the
 * plan's half-done steps, the bindings it never started, those still running when it stopped waiting).
 */
export function renderInterrupted(
  signal: InterruptSignal,
  plan: readonly PlanEntry[],
  notStarted: readonly Binding[],
  inFlight: readonly Binding[],
): string {
  const left = leftUndone(plan);
  const lines = [
    ...left.disabledNotDeleted.map(
      (e) =>
        `  disabled, not deleted: member ${e.member_id} of ECS instance ${e.instance_id ?? "-"} (channel ${e.channel}, member group ${e.member_group_name})`,
    ),
    ...left.hooksWaiting.map(
      (e) =>
        `  hook still waiting: ECS instance ${e.instance_id ?? "-"} of scaling group ${e.scaling_group_id ?? "-"}`,
    ),
    ...(left.otherNotDone > 0
      ? [`  ${left.otherNotDone} more action${left.otherNotDone === 1 ? "" : "s"} not done (STATUS above)`]
      : []),
    ...notStarted.map((b) => `  not started: ${bindingLine(b)}`),
    ...inFlight.map(
      (b) => `  still running when the CLI stopped waiting, outcome unknown: ${bindingLine(b)}`,
    ),
  ];
  const head = `Interrupted by ${signal}: no call was sent after it`;
  return lines.length === 0
    ? `${head}; nothing was left to do.\n`
    : `${head}. Left to do:\n${lines.join("\n")}\n`;
}
