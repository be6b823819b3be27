/**
 * The soak's world: one dedicated APIG gateway with two VPC channels and three AS groups bound to them.
 *
 * - asg-1 ("web", lifecycle hooks on launch and terminate) is bound to member group `web` of chan-1
 *   (drain_seconds 1: a drain a process can be killed in) and of chan-2 (drain 0), both with
 *   replace_unhealthy: one group judged on two channels, its budget shared;
 * - asg-2 and asg-3 (no hooks) share member group `blue` of chan-1, which does not exist at the start
 *   (the first run creates it);
 * - foreign member groups (`other` on chan-1, `other-2` on chan-2) hold members of their own and one of
 *   an instance of asg-1; an operator adds more, and member groups of their own, as the soak goes.
 *
 * The replace_unhealthy budget, the health check the bindings carry and the channels' own come from the
 * seed.
 */
import type { StateInput } from "../emulator";
import type { BoundTarget, ReplaceSettings, WorldSpec } from "../faults/world-spec";
import type { Binding } from "../support/harness";
import { HEALTH_CHECK, MANAGED_REMARK } from "../support/harness";
import type { Random } from "./random";

export const GATEWAY = "gw-1";
export const DEAD_LETTER_TOPIC = "urn:smn:cn-north-4:0605767a:channel-autoscaler-dead-letters";
export const WEIGHT = 3;
export const HEALTHY_TIMEOUT_SECONDS = 120;
/** What AS waits for a lifecycle callback before it applies the hook's default result. */
export const HOOK_TIMEOUT_SECONDS = 300;

export type Group = "asg-1" | "asg-2" | "asg-3";
export const GROUPS: readonly Group[] = ["asg-1", "asg-2", "asg-3"];
/** The groups with lifecycle hooks: every launch and termination waits for a callback. */
export const HOOKED: ReadonlySet<Group> = new Set(["asg-1"]);
/** How many serving instances a group grows to at most. */
export const MAX_SIZE: Record<Group, number> = { "asg-1": 6, "asg-2": 4, "asg-3": 3 };
const PREFIX: Record<Group, string> = { "asg-1": "a", "asg-2": "b", "asg-3": "c" };
const NAME: Record<Group, string> = { "asg-1": "web", "asg-2": "batch", "asg-3": "batch-b" };

export const TARGETS: readonly BoundTarget[] = [
  { channel: "chan-1", group: "web", groups: ["asg-1"], drainSeconds: 1 },
  { channel: "chan-2", group: "web", groups: ["asg-1"], drainSeconds: 0 },
  { channel: "chan-1", group: "blue", groups: ["asg-2", "asg-3"], drainSeconds: 0 },
];
export const CHANNELS = ["chan-1", "chan-2"] as const;
export const FOREIGN_GROUP: Record<(typeof CHANNELS)[number], string> = {
  "chan-1": "other",
  "chan-2": "other-2",
};

export interface Settings {
  replace: Required<ReplaceSettings>;
  /** The bindings carry HEALTH_CHECK. */
  healthCheck: boolean;
  /** The channels' health check at the start. */
  channelHealthCheck: "none" | "same" | "other";
  /** What AS does when a launch hook times out. */
  launchDefault: "CONTINUE" | "ABANDON";
}

export function settingsFor(random: Random): Settings {
  return {
    replace: {
      after_seconds: 60,
      max_per_run: random.pick([1, 2]),
      max_unhealthy_fraction: random.pick([0.5, 0.75]),
      max_in_standby: random.pick([1, 2]),
      cooldown_seconds: random.pick([0, 120, 600]),
    },
    healthCheck: random.chance(0.5),
    channelHealthCheck: random.pick(["none", "same", "other"] as const),
    launchDefault: random.pick(["CONTINUE", "ABANDON"] as const),
  };
}

export function bindingsFor(s: Settings): Binding[] {
  return TARGETS.flatMap((t) =>
    t.groups.map(
      (g): Binding => ({
        scaling_group_id: g,
        gateway: "apig",
        instance_id: GATEWAY,
        vpc_channel_id: t.channel,
        member_group_name: t.group,
        weight: WEIGHT,
        drain_seconds: t.drainSeconds,
        healthy_timeout_seconds: HEALTHY_TIMEOUT_SECONDS,
        ...(s.healthCheck ? { health_check: HEALTH_CHECK } : {}),
        ...(g === "asg-1" ? { replace_unhealthy: s.replace } : {}),
      }),
    ),
  );
}

export function specFor(s: Settings): WorldSpec {
  return {
    gateway: "apig",
    targets: TARGETS,
    weight: WEIGHT,
    healthCheck: s.healthCheck ? HEALTH_CHECK : undefined,
    healthyTimeoutSeconds: HEALTHY_TIMEOUT_SECONDS,
    replaceOf: (group) => (group === "asg-1" ? s.replace : undefined),
  };
}

/** The n-th instance id of a group: a-0, a-1, … */
export const instanceId = (g: Group, n: number) => `${PREFIX[g]}-${n}`;
export const instanceName = (id: string) => `web-${id}`;
/** A private address per instance id, unique within the soak. */
export function addressOf(id: string): string {
  const [prefix, n] = id.split("-") as [string, string];
  const subnet = { a: 1, b: 2, c: 3, f: 4, o: 5 }[prefix] ?? 9;
  return `10.${subnet}.${Math.floor(Number(n) / 200)}.${(Number(n) % 200) + 10}`;
}

/** How many instances each group starts with. */
export const INITIAL: Record<Group, number> = { "asg-1": 4, "asg-2": 2, "asg-3": 1 };

export function initialState(s: Settings, now: number): StateInput {
  const old = new Date(now - 3_600_000).toISOString();
  const instances = (g: Group) =>
    Array.from({ length: INITIAL[g] }, (_, n) => ({
      instance_id: instanceId(g, n),
      instance_name: instanceName(instanceId(g, n)),
      create_time: old,
    }));
  const member = (id: string, group: string) => ({
    ecs_id: id,
    ecs_name: instanceName(id),
    member_group_name: group,
    weight: WEIGHT,
    health_status: "healthy" as const,
    create_time: old,
  });
  const web = instances("asg-1").map((i) => member(i.instance_id, "web"));
  const healthCheck = {
    none: undefined,
    same: HEALTH_CHECK,
    other: { ...HEALTH_CHECK, threshold_normal: 5 },
  }[s.channelHealthCheck];
  const channel = (id: (typeof CHANNELS)[number], foreign: ReturnType<typeof member>[]) => ({
    id,
    name: id.replace("-", "_"),
    port: 8080,
    balance_strategy: 1,
    member_type: "ecs" as const,
    ...(healthCheck ? { vpc_health_config: healthCheck } : {}),
    member_groups: [
      { member_group_name: "web", member_group_remark: MANAGED_REMARK },
      { member_group_name: FOREIGN_GROUP[id], member_group_remark: "team b" },
    ],
    members: [...web, ...foreign],
  });
  const servers = [...GROUPS.flatMap((g) => instances(g).map((i) => i.instance_id)), "f-0", "f-1"];
  return {
    gateways: [
      {
        instance_id: GATEWAY,
        kind: "apig",
        channels: [
          channel("chan-1", [member("f-0", "other"), member("f-1", "other"), member("a-0", "other")]),
          channel("chan-2", [member("f-0", "other-2")]),
        ],
      },
    ],
    scaling_groups: GROUPS.map((g) => ({
      scaling_group_id: g,
      scaling_group_name: NAME[g],
      instances: instances(g),
      lifecycle_hooks: HOOKED.has(g)
        ? [
            {
              lifecycle_hook_name: "launch",
              lifecycle_hook_type: "INSTANCE_LAUNCHING" as const,
              default_result: s.launchDefault,
              default_timeout: HOOK_TIMEOUT_SECONDS,
            },
            {
              lifecycle_hook_name: "terminate",
              lifecycle_hook_type: "INSTANCE_TERMINATING" as const,
              default_result: "CONTINUE" as const,
              default_timeout: HOOK_TIMEOUT_SECONDS,
            },
          ]
        : [],
    })),
    servers: servers.map((id) => ({ id, name: instanceName(id), ipv4: addressOf(id) })),
    topics: [{ topic_urn: DEAD_LETTER_TOPIC }],
  };
}
