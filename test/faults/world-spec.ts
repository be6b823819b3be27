/**
 * What the invariants know of a world (its bindings, as the contract reads them) and what they share:
 * the step's starting point, the listings seen during it, and how a broken invariant is reported.
 * Used by contract-checks.ts and replacement-guards.ts, for the property model and the soak alike.
 */
import type { EmulatorState, VpcMemberInfo } from "../emulator";

export type GatewayKind = "roma" | "apig";

/** One member group of one channel, and the scaling groups bound to it. */
export interface TargetSpec {
  channel: string;
  group: string;
  groups: string[];
}

export interface BoundTarget extends TargetSpec {
  drainSeconds: number;
}

/** A binding's replace_unhealthy; absent budget fields take the product's defaults. */
export interface ReplaceSettings {
  after_seconds: number;
  max_per_run: number;
  max_unhealthy_fraction: number;
  max_in_standby?: number;
  cooldown_seconds?: number;
}

export const budgetOf = (r: ReplaceSettings) => ({
  maxInStandby: r.max_in_standby ?? 1,
  cooldownSeconds: r.cooldown_seconds ?? 600,
});

/** The world as the bindings describe it: one gateway, its bound member groups and their settings. */
export interface WorldSpec {
  gateway: GatewayKind;
  targets: readonly BoundTarget[];
  weight: number;
  /** The health check every binding carries, if they carry one. */
  healthCheck: Readonly<Record<string, unknown>> | undefined;
  healthyTimeoutSeconds: number;
  /** replace_unhealthy of the bindings of a scaling group (all of a group's bindings carry the same). */
  replaceOf(group: string): ReplaceSettings | undefined;
  /** ip channels: an instance's member is told by this address; otherwise by its ECS id. */
  addressOf?: (instanceId: string) => string;
}

export const UNHEALTHY_SINCE_TAG = "channel-autoscaler-unhealthy-since";
export const QUARANTINED_AT_TAG = "channel-autoscaler-quarantined-at";
export const SERVING = new Set(["INSERVICE", "PENDING_WAIT"]);
export const IN_STANDBY = new Set(["STANDBY", "ENTERING_STANDBY"]);

export interface HangingSeen {
  group: string;
  instance: string;
  hook: "launch" | "terminate";
}

/** What the checks of one step need from before it. */
export interface Before {
  /** The emulator's clock when the invocations start. */
  start: number;
  state: EmulatorState;
  /** Desired identities per target. */
  desired: Set<string>[];
  /** Hanging hooks by action key. */
  hooks: Map<string, HangingSeen>;
}

/** The state a listing of the step was answered from (taken right after its handler ran). */
export interface ListingView {
  seq: number;
  /** Emulator clock, ms. */
  time: number;
  /** `members`: a channel's member listing; `instances`: a scaling group's instance listing. */
  kind: "members" | "instances";
  /** The channel or the scaling group listed. */
  of: string;
  /** The member group the listing was filtered to, if any. */
  memberGroup: string | undefined;
  state: EmulatorState;
}

/** Where a run of histories counts the paths it reached. */
export interface Hits {
  hit(key: string, n?: number): void;
}

export class PropertyFailure extends Error {}

export function check(cond: boolean, what: string, detail: () => unknown): void {
  if (!cond) throw new PropertyFailure(`${what}: ${JSON.stringify(detail())}`);
}

export const iso = (ms: number) => new Date(ms).toISOString();
/** The product remembers times in whole epoch seconds (ECS tags). */
export const wholeSeconds = (ms: number) => Math.floor(ms / 1000) * 1000;

export function channelIn(state: EmulatorState, id: string) {
  return state.gateways[0]!.channels.find((c) => c.id === id)!;
}

export function membersOf(state: EmulatorState, t: TargetSpec): VpcMemberInfo[] {
  return channelIn(state, t.channel).members.filter((m) => m.member_group_name === t.group);
}

export function instancesOf(state: EmulatorState, group: string) {
  return state.scaling_groups.find((g) => g.scaling_group_id === group)?.instances ?? [];
}

/** A server's tag value, if it has the tag. */
export function tagOf(state: EmulatorState, server: string, key: string): string | undefined {
  return state.servers.find((s) => s.id === server)?.tags?.[key];
}
