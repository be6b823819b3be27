import type { GroupInstance, HangingHook, HookResult } from "../cloud/autoscaling";
import type { Channel, Member } from "../cloud/gateway";
import type { Target } from "./targets";

/**
 * The AS states in which a lifecycle hook holds an instance: a launch hook in `PENDING_WAIT`, a terminate
 * hook in `REMOVING_WAIT`. A hook on an instance in any other state is never completed (decideHook), so a
 * group whose instance listing shows neither has no hook worth listing.
 */
export const HOOK_WAIT_STATES: ReadonlySet<string> = new Set(["PENDING_WAIT", "REMOVING_WAIT"]);

/** Whether a lifecycle hook may hold this instance, by its AS state. */
export const heldByHook = (instance: GroupInstance): boolean =>
  HOOK_WAIT_STATES.has(instance.life_cycle_state ?? "");

/** What one target ended a run with, for the lifecycle-hook decisions that follow. */
export interface TargetOutcome {
  target: Target;
  failed: boolean;
  /** Instance id → member now serving it (undefined: just added, not listed yet). */
  present: Map<string, Member | undefined>;
  /** Instances whose member is still in the group although not desired (drain pending or failed). */
  lingering: Set<string>;
  /** The channel, when this run read it. */
  channel: Channel | undefined;
}

export interface HookDecision {
  /** Undefined: leave the hook waiting (a later run decides). */
  result: HookResult | undefined;
  reason: string;
  /** Waiting only for an APIG member to report healthy: worth polling. */
  healthWait?: boolean;
}

/**
 * Whether a hanging lifecycle hook can be completed, and how. Pure: decided from the instance's AS
 * state and what every target of its group ended with. A launch hook (PENDING_WAIT) continues once
 * every target has the member (on APIG, once it reports healthy; ABANDON past healthy_timeout_seconds);
 * a terminate hook (REMOVING_WAIT) continues once no target has it any more.
 */
export function decideHook(
  hook: HangingHook,
  instance: GroupInstance | undefined,
  targets: readonly TargetOutcome[],
  now: number,
): HookDecision {
  if (targets.some((t) => t.failed))
    return { result: undefined, reason: "a channel of this group failed this run" };
  // Without the instance we cannot tell a launch hook from a terminate hook: never guess.
  if (instance === undefined)
    return { result: undefined, reason: "instance not in the group's instance list" };
  const state = instance.life_cycle_state;
  if (state === "REMOVING_WAIT") {
    const still = targets.some((t) => t.lingering.has(hook.instance_id) || t.present.has(hook.instance_id));
    return still
      ? { result: undefined, reason: "member not removed yet" }
      : { result: "CONTINUE", reason: "member drained and removed" };
  }
  if (state !== "PENDING_WAIT") return { result: undefined, reason: `instance is ${state}` };
  if (instance.health_status === "ERROR") return { result: undefined, reason: "instance health is ERROR" };
  let abandon = false;
  for (const t of targets) {
    if (!t.present.has(hook.instance_id)) return { result: undefined, reason: "member not registered" };
    // ROMA members report no health: registration is all there is to wait for.
    if (t.target.channel.gateway !== "apig") continue;
    const member = t.present.get(hook.instance_id);
    const health = member?.health_status ?? "unknown";
    if (health === "healthy") continue;
    // No health check on the channel: the gateway will never say more than "unknown".
    if (health === "unknown" && healthChecked(t) === false) continue;
    const timeoutMs = Math.min(...t.target.bindings.map((b) => b.healthy_timeout_seconds)) * 1000;
    const since = Date.parse(member?.create_time ?? "");
    if (Number.isFinite(since) && now - since >= timeoutMs) abandon = true;
    else return { result: undefined, reason: `member health is ${health}`, healthWait: true };
  }
  return abandon
    ? { result: "ABANDON", reason: "member not healthy within healthy_timeout_seconds" }
    : { result: "CONTINUE", reason: "member registered" };
}

/**
 * Whether the target's channel checks member health: yes where a binding enforces a `health_check`, else
 * as the channel read says; undefined when this run did not read it.
 */
function healthChecked(t: TargetOutcome): boolean | undefined {
  if (t.target.bindings.some((b) => b.health_check)) return true;
  return t.channel === undefined ? undefined : Boolean(t.channel.vpc_health_config);
}

/** APIG targets whose health rule a launch hook needs and this run does not know (healthChecked). */
export function channelsToRead(
  hooks: readonly { instance: GroupInstance | undefined; targets: readonly TargetOutcome[] }[],
): TargetOutcome[] {
  const out = new Set<TargetOutcome>();
  for (const h of hooks) {
    if (h.instance?.life_cycle_state !== "PENDING_WAIT") continue;
    for (const t of h.targets)
      if (!t.failed && healthChecked(t) === undefined && t.target.channel.gateway === "apig") out.add(t);
  }
  return [...out];
}

/**
 * Whether a decision completes a terminate hook: then a read of the member groups made after the
 * deletes must first show no member of the instance (`memberListed`), since what this run removed may
 * have been put back meanwhile.
 */
export const completesTerminateHook = (
  instance: GroupInstance | undefined,
  decision: HookDecision,
): boolean => instance?.life_cycle_state === "REMOVING_WAIT" && decision.result === "CONTINUE";

/** Whether any of these listings holds a member of the instance. */
export function memberListed(instanceId: string, listings: Iterable<readonly Member[]>): boolean {
  for (const members of listings) if (members.some((m) => m.ecs_id === instanceId)) return true;
  return false;
}
