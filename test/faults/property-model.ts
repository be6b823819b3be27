/**
 * The model behind the property tests: a random starting world and a random history, run against the
 * emulator, with the contract's invariants (contract-checks.ts) checked after every step of it.
 *
 * The world: one ROMA Connect or APIG gateway with one or two VPC channels; one or two AS groups bound to
 * one or two member groups (one group, two groups sharing a member group, two groups on two member groups
 * of one channel with their own drain_seconds, one group on two member groups of one channel or on two
 * channels, an ip channel); member groups that
 * may not exist yet and bindings that may carry a `health_check` (so channel setup runs); foreign members
 * and groups; a member quota that may be tight; APIG member health, with `replace_unhealthy` (and its
 * budget across invocations), and unhealthy-since tags and ages left by earlier runs. The history:
 * scale-out / scale-in / lifecycle-hook / AS-health events, APIG health flips, time passing (a virtual
 * clock), replacements going into service, and deliveries of the events (duplicated, reordered, dropped)
 * to one, two or three overlapping invocations while faults hit any operation the product calls. Then a
 * quiet final phase.
 *
 * Besides the invariants of every step: with faults that a retry gets past, one invocation leaves no
 * dead letter and the member groups converged. After the final phase (faults cleared, health restored):
 * every instance ends registered or dead-lettered, and a run on that converged state makes zero writes.
 *
 * `runCase` drives any invoker (built bundle or src) against a clock: a virtual one that the src entry's
 * sleeps move (drains of any length cost nothing, and waits of minutes reach healthy_timeout_seconds and
 * after_seconds), or the real one for the bundles (drains of a second at most; the ages and tags of the
 * starting world reach the same paths). `Coverage` counts, over a run of cases, how often each operation,
 * fault and path was reached, so a test can insist that the generator keeps reaching all of them.
 */
import fc from "fast-check";
import type { CallLogEntry, Emulator, Fault, StateInput } from "../emulator";
import { type FunctionName, HEALTH_CHECK } from "../support/harness";
import { CallObserver } from "./call-observer";
import {
  type CheckClock,
  ContractChecks,
  type InvokeResult,
  type Invoker,
  timerEvent,
} from "./contract-checks";
import { applied, FAULT_OPS, type Operation, operationOf, routeOf } from "./operations";
import {
  type Before,
  check,
  type GatewayKind,
  iso,
  type ReplaceSettings,
  type TargetSpec,
  UNHEALTHY_SINCE_TAG,
  type WorldSpec,
  wholeSeconds,
} from "./world-spec";

export type { GatewayKind, InvokeResult, Invoker, Operation, ReplaceSettings, TargetSpec };
export { FAULT_OPS, operationOf };

// ---------------------------------------------------------------------------------------------------
// The world

export type Variant = "single" | "shared" | "split" | "double" | "fanout" | "ip";
export const VARIANTS: readonly Variant[] = ["single", "shared", "split", "double", "fanout", "ip"];
type Group = "asg-1" | "asg-2";
type LifeState = "INSERVICE" | "PENDING_WAIT" | "REMOVING_WAIT" | "PENDING" | "STANDBY";
type AsHealth = "NORMAL" | "ERROR" | "INITIALIZING";
type MemberHealth = "healthy" | "unhealthy" | "unknown";

const GATEWAY = "gw-1";
export const DEAD_LETTER_TOPIC = "urn:smn:cn-north-4:0605767a:channel-autoscaler-dead-letters";
const HOUR_MS = 3_600_000;

const OTHER_HEALTH_CHECK = { ...HEALTH_CHECK, threshold_normal: 5 };

/** One member group of one channel, and the scaling groups of the model bound to it. */
export interface ModelTarget extends TargetSpec {
  groups: Group[];
}

export function targetsOf(variant: Variant): ModelTarget[] {
  switch (variant) {
    case "single":
    case "ip":
      return [{ channel: "chan-1", group: "web", groups: ["asg-1"] }];
    case "shared":
      return [{ channel: "chan-1", group: "web", groups: ["asg-1", "asg-2"] }];
    case "split":
      return [
        { channel: "chan-1", group: "web", groups: ["asg-1"] },
        { channel: "chan-1", group: "blue", groups: ["asg-2"] },
      ];
    case "double":
      return [
        { channel: "chan-1", group: "web", groups: ["asg-1"] },
        { channel: "chan-1", group: "blue", groups: ["asg-1"] },
      ];
    case "fanout":
      return [
        { channel: "chan-1", group: "web", groups: ["asg-1"] },
        { channel: "chan-2", group: "web", groups: ["asg-1"] },
      ];
  }
}

const channelsOf = (v: Variant) => [...new Set(targetsOf(v).map((t) => t.channel))];
const groupsOf = (v: Variant) => [...new Set(targetsOf(v).flatMap((t) => t.groups))];
/** Member groups no binding names: one holds the foreign members, one is empty. */
const foreignGroupsOf = (channel: string) => (channel === "chan-1" ? ["other", "spare"] : ["other-2"]);

export interface InitialInstance {
  group: Group;
  id: string;
  state: LifeState;
  health: AsHealth;
  /** Created an hour before the case starts (old enough for after_seconds), else at load. */
  aged: boolean;
}

export interface InitialMember {
  /** Index into targetsOf(variant); foreign members ignore it. */
  target: number;
  id: string;
  status: 1 | 2;
  weight: number;
  /** ip channels: a member may carry only its address. */
  withEcsId: boolean;
  /** APIG only. */
  health: MemberHealth;
  /** Created an hour before the case starts (past healthy_timeout_seconds), else at load. */
  aged: boolean;
  /** APIG: an earlier run tagged the member's server unhealthy-since, this long before the start. */
  taggedAgoSeconds: number | undefined;
}

export interface TargetSettings {
  drainSeconds: number;
  /** The member group exists at the start; when not, the first run creates it (channel setup). */
  groupExists: boolean;
}

export type FaultKind = "429" | "500" | "503" | "reset" | "malformed" | "delay";

export interface FaultSpec {
  op: Operation;
  kind: FaultKind;
  /** Uses; 0 = every attempt (the action is dead-lettered). */
  times: 0 | 1 | 2;
}

export type InvocationSpec = { fn: "scaling-events"; picks: number[] } | { fn: "reconcile" };

export type Step =
  | { kind: "out" | "launch" | "in" | "terminate" | "sick"; group: Group; id: string }
  /** APIG: the gateway's health check now reports this for the instance's member of a target. */
  | { kind: "flip"; target: number; id: string; health: MemberHealth }
  | { kind: "wait"; seconds: number }
  /** The group's scaling activity ends: the replacements that ENTER_STANDBY launched go in service. */
  | { kind: "settle"; group: Group }
  | { kind: "deliver"; invocations: InvocationSpec[]; faults: FaultSpec[] };

export interface Scenario {
  variant: Variant;
  gateway: GatewayKind;
  weight: number;
  targets: TargetSettings[];
  /** The bindings carry HEALTH_CHECK. */
  healthCheck: boolean;
  /** The channels' health check at the start. */
  channelHealthCheck: "none" | "same" | "other";
  healthyTimeoutSeconds: number;
  replace: ReplaceSettings | undefined;
  /** Room for this many more members than the channel starts with; undefined: plenty. */
  quotaSlack: 0 | 1 | 2 | undefined;
  /** health_status of new APIG members. */
  defaultHealth: MemberHealth;
  instances: InitialInstance[];
  members: InitialMember[];
  foreign: InitialMember[];
  steps: Step[];
}

const POOL: Record<Group, string[]> = {
  "asg-1": ["a-0", "a-1", "a-2", "a-3", "a-4", "a-5"],
  "asg-2": ["b-0", "b-1", "b-2", "b-3"],
};
const STALE = ["s-0", "s-1"];
const FOREIGN = ["f-0", "f-1"];

export function ipOf(id: string): string {
  const [prefix, n] = id.split("-") as [string, string];
  const subnet = { a: 1, b: 2, s: 3, f: 4 }[prefix] ?? 9;
  return `10.0.${subnet}.${Number(n) + 10}`;
}

// ---------------------------------------------------------------------------------------------------
// Generators

export interface ScenarioOptions {
  variants?: readonly Variant[];
  /**
   * Drains cost real time (the built bundles sleep for real): drain_seconds 0 or 1, and no waits.
   * Otherwise drains up to 30 s and waits of minutes, on a virtual clock.
   */
  realTime?: boolean;
}

/**
 * The operations a scenario's settings make the product call, each with a weight: a fault lands on a
 * call the product makes, and the rarer calls (channel setup, replace_unhealthy's) get their share.
 */
function callsOf(settings: Settings): (readonly [Operation, number])[] {
  const rare = 3;
  return [
    ...(
      [
        "list members",
        "list instances",
        "list hooks",
        "show channel",
        "add members",
        // Dead letters are published to SMN: a fault that never clears makes one.
        "smn publish",
      ] as const
    ).map((op) => [op, 1] as const),
    // A re-enable is needed only where a desired member was found disabled.
    ["enable", rare],
    // A member left behind by a failed disable or delete is what a terminate hook must wait for.
    ["disable", rare],
    ["delete", rare],
    ["callback", 2],
    ...(settings.targets.some((t) => !t.groupExists) ? [["member-groups", rare] as const] : []),
    ...(settings.healthCheck ? [["health-config", rare] as const] : []),
    ...(settings.variant === "ip" || settings.replace ? [["ecs servers", 1] as const] : []),
    ...(settings.replace ? [["standby", rare * 2] as const, ["ecs tags", rare * 2] as const] : []),
  ];
}

function faultSpec(settings: Settings): fc.Arbitrary<FaultSpec> {
  return fc.record({
    op: fc.oneof(...callsOf(settings).map(([op, weight]) => ({ weight, arbitrary: fc.constant(op) }))),
    kind: fc.constantFrom<FaultKind>("429", "500", "503", "reset", "malformed", "delay"),
    // Mostly faults a retry gets past; sometimes one that never clears (dead-lettered, then repaired).
    times: fc.oneof(
      { weight: 10, arbitrary: fc.constantFrom<1 | 2>(1, 2) },
      { weight: 3, arbitrary: fc.constant<0>(0) },
    ),
  });
}

/** The scenario's settings: what the world and its history are generated for. */
type Settings = Pick<
  Scenario,
  | "variant"
  | "gateway"
  | "weight"
  | "targets"
  | "healthCheck"
  | "channelHealthCheck"
  | "healthyTimeoutSeconds"
  | "replace"
  | "quotaSlack"
  | "defaultHealth"
>;

function settingsFor(variant: Variant, gateway: GatewayKind, opts: ScenarioOptions): fc.Arbitrary<Settings> {
  const apig = gateway === "apig";
  const drain = opts.realTime
    ? fc.oneof({ weight: 24, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constant(1) })
    : fc.constantFrom(0, 0, 5, 30);
  return fc.record({
    variant: fc.constant(variant),
    gateway: fc.constant(gateway),
    weight: fc.integer({ min: 1, max: 5 }),
    targets: fc.tuple(
      ...targetsOf(variant).map(() =>
        fc.record({
          drainSeconds: drain,
          groupExists: fc.oneof(
            { weight: 4, arbitrary: fc.constant(true) },
            { weight: 1, arbitrary: fc.constant(false) },
          ),
        }),
      ),
    ),
    healthCheck: fc.oneof(
      { weight: 2, arbitrary: fc.constant(false) },
      { weight: 1, arbitrary: fc.constant(true) },
    ),
    channelHealthCheck: fc.constantFrom<Scenario["channelHealthCheck"]>("none", "same", "other"),
    healthyTimeoutSeconds: fc.constantFrom(0, 60, 300),
    replace:
      apig && variant !== "ip"
        ? fc.option(
            fc.record({
              after_seconds: fc.constantFrom(60, 300),
              max_per_run: fc.constantFrom(1, 2),
              max_unhealthy_fraction: fc.constantFrom(0.5, 1, 1),
            }),
            { freq: 3, nil: undefined },
          )
        : fc.constant(undefined),
    quotaSlack: fc.oneof(
      { weight: 2, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: fc.constantFrom<0 | 1 | 2>(0, 1, 2) },
    ),
    defaultHealth: apig
      ? fc.constantFrom<MemberHealth>("healthy", "healthy", "unknown")
      : fc.constant<MemberHealth>("healthy"),
  });
}

function scenarioFor(settings: Settings, opts: ScenarioOptions): fc.Arbitrary<Scenario> {
  const { variant } = settings;
  const targets = targetsOf(variant);
  const groups = groupsOf(variant);
  const ours = groups.flatMap((g) => POOL[g]);
  const apig = settings.gateway === "apig";
  const instance = (group: Group) =>
    fc.record({
      group: fc.constant(group),
      id: fc.constantFrom(...POOL[group]),
      state: fc.constantFrom<LifeState>(
        "INSERVICE",
        "INSERVICE",
        "INSERVICE",
        "INSERVICE",
        "INSERVICE",
        "PENDING_WAIT",
        "REMOVING_WAIT",
        "PENDING",
        "STANDBY",
      ),
      health: fc.constantFrom<AsHealth>("NORMAL", "NORMAL", "NORMAL", "NORMAL", "ERROR", "INITIALIZING"),
      aged: fc.constantFrom(true, true, false),
    });
  const memberHealth = apig
    ? fc.constantFrom<MemberHealth>("healthy", "healthy", "unhealthy", "unhealthy", "unknown")
    : fc.constant<MemberHealth>("healthy");
  const member = (ids: string[]) =>
    fc.record({
      target: fc.nat({ max: targets.length - 1 }),
      id: fc.constantFrom(...ids),
      status: fc.constantFrom<1 | 2>(1, 1, 2),
      weight: fc.integer({ min: 1, max: 5 }),
      withEcsId: variant === "ip" ? fc.boolean() : fc.constant(true),
      health: memberHealth,
      aged: fc.boolean(),
      taggedAgoSeconds: apig
        ? fc.option(fc.constantFrom(30, 400, 4000), { freq: 3, nil: undefined })
        : fc.constant(undefined),
    });
  const mutation = fc
    .record({
      kind: fc.constantFrom(
        "out",
        "out",
        "launch",
        "in",
        "in",
        "terminate",
        "terminate",
        "sick",
      ) as fc.Arbitrary<"out" | "launch" | "in" | "terminate" | "sick">,
      group: fc.constantFrom(...groups),
      id: fc.nat({ max: 5 }),
    })
    .map((m): Step => ({ ...m, id: POOL[m.group][m.id % POOL[m.group].length]! }));
  const flip = fc
    .record({
      kind: fc.constant("flip" as const),
      target: fc.nat({ max: targets.length - 1 }),
      id: fc.constantFrom(...ours),
      health: fc.constantFrom<MemberHealth>("unhealthy", "unhealthy", "healthy", "unknown"),
    })
    .filter((f) => targets[f.target]!.groups.some((g) => POOL[g].includes(f.id)));
  const wait = fc.record({
    kind: fc.constant("wait" as const),
    seconds: fc.constantFrom(10, 90, 400),
  });
  const settle = fc.record({ kind: fc.constant("settle" as const), group: fc.constantFrom(...groups) });
  const invocation: fc.Arbitrary<InvocationSpec> = fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({
        fn: fc.constant("scaling-events" as const),
        // Indices into the events so far (mod their count): duplicates and any order; the rest are dropped.
        picks: fc.array(fc.nat({ max: 20 }), { minLength: 1, maxLength: 4 }),
      }),
    },
    { weight: 1, arbitrary: fc.constant({ fn: "reconcile" as const }) },
  );
  const deliver = fc.record({
    kind: fc.constant("deliver" as const),
    // Mostly one invocation; sometimes two or three at once, as FunctionGraph runs them.
    invocations: fc.oneof(
      { weight: 3, arbitrary: fc.array(invocation, { minLength: 1, maxLength: 1 }) },
      { weight: 1, arbitrary: fc.array(invocation, { minLength: 2, maxLength: 3 }) },
    ),
    faults: fc.array(faultSpec(settings), { maxLength: 2 }),
  });
  const weighted = (weight: number, arbitrary: fc.Arbitrary<Step>) => ({ weight, arbitrary });
  const step = fc.oneof(
    weighted(6, mutation),
    weighted(5, deliver),
    ...(apig ? [weighted(2, flip)] : []),
    ...(opts.realTime ? [] : [weighted(2, wait)]),
    ...(apig ? [weighted(1, settle)] : []),
  );
  return fc
    .record({
      // Members mostly of the group's instances (most channels are nearly in sync), some of instances gone.
      world: fc
        .uniqueArray(fc.oneof(...groups.map(instance)), { selector: (i) => i.id, maxLength: 6 })
        .chain((instances) => {
          const ids = instances.map((i) => i.id);
          return fc.record({
            instances: fc.constant(instances),
            // One member per identity in a member group: the gateway (and the emulator) refuse two.
            members: fc.uniqueArray(member([...ids, ...ids, ...ids, ...ours, ...STALE]), {
              selector: (m) => `${m.target}/${m.id}`,
              maxLength: 6,
            }),
          });
        }),
      foreign: fc.uniqueArray(member([...ours.slice(0, 3), ...FOREIGN]), {
        selector: (m) => m.id,
        minLength: 1,
        maxLength: 3,
      }),
      steps: fc
        .array(step, { minLength: 1, maxLength: 9 })
        // A few invocations per case: at most three deliveries.
        .map((all) => {
          let delivered = 0;
          return all.filter((s) => s.kind !== "deliver" || ++delivered <= 3);
        }),
      // With replace_unhealthy, often the case it is for: a member unhealthy for half an hour (an earlier
      // run tagged it), of an old instance in service.
      sick: fc.constantFrom(true, true, true, false),
      victimTag: fc.constantFrom(1800, 1800, 1800, 30),
      // And often a fault on one of the calls its replacement makes, in the first delivery.
      victimFault: fc.option(
        fc.record({
          op: fc.constantFrom<Operation>("standby", "ecs tags", "ecs servers"),
          kind: fc.constantFrom<FaultKind>("429", "503", "reset", "malformed"),
          times: fc.constantFrom<0 | 1 | 2>(0, 1, 1, 2),
        }),
        { freq: 2, nil: undefined },
      ),
      // Often, when an instance is terminating, its member cannot be removed at first: the first delivery
      // can neither disable nor delete anything, so the terminate hook must wait.
      stuck: fc.option(fc.constantFrom<Operation>("disable", "delete"), { freq: 2, nil: undefined }),
    })
    .map(({ world, sick, victimTag, victimFault, stuck, ...rest }) =>
      withStuckMember(
        withSickMember({ ...settings, ...rest, ...world }, sick, victimTag, victimFault),
        stuck,
      ),
    );
}

/**
 * With replace_unhealthy, often the case it is for: a member unhealthy for half an hour (an earlier
 * run tagged it), of an old instance in service; and maybe a fault on a call its replacement makes.
 */
function withSickMember(
  s: Scenario,
  sick: boolean,
  taggedAgoSeconds: number,
  fault: FaultSpec | undefined,
): Scenario {
  const targets = targetsOf(s.variant);
  const victim = s.instances.find((i) => targets[0]!.groups.includes(i.group));
  if (!s.replace || !sick || !victim || !s.targets[0]!.groupExists) return s;
  Object.assign(victim, { state: "INSERVICE", health: "NORMAL", aged: true });
  // Unhealthy in every member group its scaling group is bound to: each binding judges it.
  const sickIn = targets.flatMap((t, target) =>
    t.groups.includes(victim.group) && s.targets[target]!.groupExists ? [target] : [],
  );
  const sickMembers = sickIn.map(
    (target): InitialMember => ({
      target,
      id: victim.id,
      status: 1,
      weight: s.weight,
      withEcsId: true,
      health: "unhealthy",
      aged: true,
      // Younger than the member (an hour old): a tag older than its member is an earlier membership's.
      // Sometimes too young for after_seconds: then it must wait.
      taggedAgoSeconds,
    }),
  );
  return {
    ...s,
    members: [...s.members.filter((m) => !sickIn.includes(m.target) || m.id !== victim.id), ...sickMembers],
    steps: withFirstDeliveryFault(s.steps, fault),
  };
}

/** The steps, the first delivery with one more fault. */
function withFirstDeliveryFault(steps: Step[], fault: FaultSpec | undefined): Step[] {
  const first = steps.findIndex((step) => step.kind === "deliver");
  if (fault === undefined || first < 0) return steps;
  return steps.map((step, i) =>
    i === first && step.kind === "deliver" ? { ...step, faults: [...step.faults, fault] } : step,
  );
}

/** A terminating instance's member the first delivery cannot disable or delete (`op` fails throughout). */
function withStuckMember(s: Scenario, op: Operation | undefined): Scenario {
  const terminating = s.instances.some(
    (i) => i.state === "REMOVING_WAIT" && s.members.some((m) => m.id === i.id && m.status === 1),
  );
  if (op === undefined || !terminating) return s;
  return { ...s, steps: withFirstDeliveryFault(s.steps, { op, kind: "500", times: 0 }) };
}

/** Scenarios over the variants and both gateways. */
export const scenario = (opts: ScenarioOptions = {}): fc.Arbitrary<Scenario> =>
  fc
    .tuple(fc.constantFrom(...(opts.variants ?? VARIANTS)), fc.constantFrom<GatewayKind>("roma", "apig"))
    .chain(([variant, gateway]) => settingsFor(variant, gateway, opts))
    .chain((settings) => scenarioFor(settings, opts));

// ---------------------------------------------------------------------------------------------------
// Building the world

export interface BindingJson {
  scaling_group_id: string;
  gateway: GatewayKind;
  instance_id: string;
  vpc_channel_id: string;
  member_group_name: string;
  weight: number;
  drain_seconds: number;
  healthy_timeout_seconds: number;
  health_check?: typeof HEALTH_CHECK;
  replace_unhealthy?: ReplaceSettings;
}

export function bindingsFor(s: Scenario): BindingJson[] {
  return targetsOf(s.variant).flatMap((t, i) =>
    t.groups.map((g) => ({
      scaling_group_id: g,
      gateway: s.gateway,
      instance_id: GATEWAY,
      vpc_channel_id: t.channel,
      member_group_name: t.group,
      weight: s.weight,
      drain_seconds: s.targets[i]!.drainSeconds,
      healthy_timeout_seconds: s.healthyTimeoutSeconds,
      ...(s.healthCheck ? { health_check: HEALTH_CHECK } : {}),
      ...(s.replace ? { replace_unhealthy: s.replace } : {}),
    })),
  );
}

/** Members of the scenario as the channel starts with them (members of a missing group left out). */
function initialMembers(s: Scenario, channel: string, now: number) {
  const targets = targetsOf(s.variant);
  const input = (m: InitialMember, group: string, id: string) => ({
    id,
    ...(m.withEcsId ? { ecs_id: m.id, ecs_name: `old-${m.id}` } : {}),
    ...(s.variant === "ip" ? { host: ipOf(m.id) } : {}),
    member_group_name: group,
    weight: m.weight,
    status: m.status,
    ...(s.gateway === "apig" ? { health_status: m.health } : {}),
    ...(m.aged ? { create_time: iso(now - HOUR_MS) } : {}),
  });
  // Explicit member ids, unique across channels: 32 digits, a prefix per target.
  const memberId = (prefix: number, index: number) => `${prefix}${String(index).padStart(31, "0")}`;
  const ours = s.members.flatMap((m, i) => {
    const t = targets[m.target]!;
    return t.channel === channel && s.targets[m.target]!.groupExists
      ? [input(m, t.group, memberId(m.target + 1, i))]
      : [];
  });
  const foreign = channel === "chan-1" ? s.foreign.map((m, i) => input(m, "other", memberId(8, i))) : [];
  return [...foreign, ...ours];
}

export function stateFor(s: Scenario, now: number): StateInput {
  const targets = targetsOf(s.variant);
  const healthCheck = { none: undefined, same: HEALTH_CHECK, other: OTHER_HEALTH_CHECK }[
    s.channelHealthCheck
  ];
  const hooks = [
    { lifecycle_hook_name: "launch", lifecycle_hook_type: "INSTANCE_LAUNCHING" as const },
    { lifecycle_hook_name: "terminate", lifecycle_hook_type: "INSTANCE_TERMINATING" as const },
  ];
  const tagOf = new Map(
    s.members.flatMap((m) =>
      m.taggedAgoSeconds === undefined ? [] : [[m.id, Math.floor(now / 1000) - m.taggedAgoSeconds] as const],
    ),
  );
  return {
    gateways: [
      {
        instance_id: GATEWAY,
        kind: s.gateway,
        channels: channelsOf(s.variant).map((channel) => ({
          id: channel,
          name: channel.replace("-", "_"),
          port: 8080,
          balance_strategy: 1,
          member_type: s.variant === "ip" ? ("ip" as const) : ("ecs" as const),
          ...(healthCheck ? { vpc_health_config: healthCheck } : {}),
          member_groups: [
            ...targets
              .filter((t, i) => t.channel === channel && s.targets[i]!.groupExists)
              .map((t) => ({ member_group_name: t.group })),
            ...foreignGroupsOf(channel).map((g) => ({ member_group_name: g, member_group_remark: "team b" })),
          ],
          members: initialMembers(s, channel, now),
        })),
      },
    ],
    scaling_groups: groupsOf(s.variant).map((g) => {
      const mine = s.instances.filter((i) => i.group === g);
      return {
        scaling_group_id: g,
        scaling_group_name: g,
        instances: mine.map((i) => ({
          instance_id: i.id,
          instance_name: `web-${i.id}`,
          life_cycle_state: i.state,
          health_status: i.health,
          ...(i.aged ? { create_time: iso(now - HOUR_MS) } : {}),
        })),
        lifecycle_hooks: hooks,
        hanging: mine.flatMap((i) =>
          i.state === "PENDING_WAIT"
            ? [{ instance_id: i.id, lifecycle_hook_name: "launch" }]
            : i.state === "REMOVING_WAIT"
              ? [{ instance_id: i.id, lifecycle_hook_name: "terminate" }]
              : [],
        ),
      };
    }),
    servers: [...Object.values(POOL).flat(), ...STALE, ...FOREIGN].map((id) => ({
      id,
      name: `web-${id}`,
      ipv4: ipOf(id),
      ...(tagOf.has(id) ? { tags: { [UNHEALTHY_SINCE_TAG]: String(tagOf.get(id)) } } : {}),
    })),
    topics: [{ topic_urn: DEAD_LETTER_TOPIC }],
  };
}

export function faultFor(f: FaultSpec): Fault {
  const where = { ...routeOf(f.op), times: f.times };
  switch (f.kind) {
    case "429":
      return { ...where, status: 429, headers: { "Retry-After": "0" } };
    case "500":
      return { ...where, status: 500, body: { error_code: "APIG.9999", error_msg: "System error" } };
    case "503":
      return { ...where, status: 503, body: "Service Unavailable" };
    case "reset":
      return { ...where, reset: true };
    case "malformed":
      return { ...where, malformed: true };
    case "delay":
      return { ...where, delayMs: 15 };
  }
}

// ---------------------------------------------------------------------------------------------------
// Clocks

/** Where the emulator and the invoker take their time from; `advance` is a no-op on the real clock. */
export interface ModelClock extends CheckClock {
  advance(ms: number): void;
}

/**
 * A clock that moves only when told: by `sleep` (the product's drain and health-poll waits) and by
 * `advance` (time passing in a history); every reading moves it on by a millisecond, so times are unique
 * and ordered like the calls. Shared by the emulator (`startEmulator({ now })`) and the invoker.
 */
export class VirtualClock implements ModelClock {
  private t = Date.parse("2026-11-22T01:00:00Z");
  readonly slackMs = 0;
  readonly now = (): number => ++this.t;
  readonly sleep = async (ms: number): Promise<void> => {
    this.t += ms;
    await new Promise((resolve) => setImmediate(resolve));
  };
  advance(ms: number): void {
    this.t += ms;
  }
}

export const realClock: ModelClock = { now: Date.now, advance: () => undefined, slackMs: 50 };

// ---------------------------------------------------------------------------------------------------
// Running a case

/** Every operation, fault and path the property is about; a run of cases must reach each. */
export const PATHS = [
  "drain_seconds > 0 waited",
  "member quota refused (APIG.3110)",
  "deferred add retried after the deletes",
  "member group created",
  "health check set",
  "launch hook CONTINUE",
  "launch hook ABANDON",
  "terminate hook CONTINUE",
  "terminate hook held while its member remains",
  "quarantine (ENTER_STANDBY)",
  "quarantine of a group bound to two member groups",
  "fraction guard held",
  "health flip",
  "overlapping invocations",
  "dead letter",
  "dead letter published",
  "final: instance dead-lettered",
  "final: converged run re-run",
] as const;

export class Coverage {
  cases = 0;
  deliveries = 0;
  writes = 0;
  readonly hits = new Map<string, number>();

  hit(key: string, n = 1): void {
    if (n > 0) this.hits.set(key, (this.hits.get(key) ?? 0) + n);
  }

  /** What a property run must reach: every operation, a fault on each, every path, variant and gateway. */
  static required(variants: readonly Variant[] = VARIANTS): string[] {
    return [
      ...FAULT_OPS.map((op) => `call: ${op}`),
      ...FAULT_OPS.map((op) => `fault: ${op}`),
      ...PATHS,
      ...variants.map((v) => `variant: ${v}`),
      "gateway: roma",
      "gateway: apig",
    ];
  }

  missing(required: readonly string[]): string[] {
    return required.filter((k) => !this.hits.get(k));
  }

  toJSON(): Record<string, number> {
    return {
      cases: this.cases,
      deliveries: this.deliveries,
      writes: this.writes,
      ...Object.fromEntries([...this.hits].sort(([a], [b]) => a.localeCompare(b))),
    };
  }
}

const smnEvent = (messages: string[]) => ({
  record: messages.map((message, i) => ({
    event_source: "smn",
    smn: {
      message,
      message_id: `m-${i}`,
      subject: "AS",
      topic_urn: "urn:smn:cn-north-4:p:as",
      type: "notification",
    },
  })),
});

/**
 * Runs one scenario against a reset emulator through `call`, on `clock` (the emulator's clock too);
 * throws PropertyFailure naming the broken invariant. `env` is the function environment (the bindings
 * and the dead-letter topic are set here).
 */
export async function runCase(
  emu: Emulator,
  s: Scenario,
  call: Invoker,
  env: Record<string, string>,
  clock: ModelClock,
  coverage: Coverage = new Coverage(),
): Promise<void> {
  coverage.cases += 1;
  coverage.hit(`variant: ${s.variant}`);
  coverage.hit(`gateway: ${s.gateway}`);
  emu.control.reset();
  const world = new World(emu, s, clock, coverage);
  const fullEnv = {
    ...env,
    BINDINGS: JSON.stringify(bindingsFor(s)),
    DEAD_LETTER_TOPIC_URN: DEAD_LETTER_TOPIC,
  };
  const events: string[] = [];

  for (const [n, step] of s.steps.entries()) {
    if (step.kind !== "deliver") {
      const event = world.apply(step);
      if (event) events.push(event);
      continue;
    }
    const invocations = step.invocations.map((inv) => {
      if (inv.fn === "reconcile" || events.length === 0)
        return { fn: "reconcile" as const, event: timerEvent, groups: groupsOf(s.variant) };
      const picked = inv.picks.map((p) => events[p % events.length]!);
      const groups = [
        ...new Set(picked.map((e) => (JSON.parse(e) as { scaling_group_id: Group }).scaling_group_id)),
      ];
      return { fn: inv.fn, event: smnEvent(picked), groups };
    });
    await world.deliver(`delivery ${n}`, invocations, step.faults, call, fullEnv);
  }
  await world.finish(call, fullEnv);
}

/** The invariants' view of a scenario: its bindings as the contract reads them. */
function specOf(s: Scenario): WorldSpec {
  return {
    gateway: s.gateway,
    targets: targetsOf(s.variant).map((t, i) => ({ ...t, drainSeconds: s.targets[i]!.drainSeconds })),
    weight: s.weight,
    healthCheck: s.healthCheck ? HEALTH_CHECK : undefined,
    healthyTimeoutSeconds: s.healthyTimeoutSeconds,
    replaceOf: () => s.replace,
    ...(s.variant === "ip" ? { addressOf: ipOf } : {}),
  };
}

/** One case's world: its scenario, the emulator, and the invariants that judge each step. */
class World {
  readonly targets: ModelTarget[];
  private readonly checks: ContractChecks;

  constructor(
    private readonly emu: Emulator,
    private readonly s: Scenario,
    private readonly clock: ModelClock,
    private readonly coverage: Coverage,
  ) {
    this.targets = targetsOf(s.variant);
    const members = initialMembers(s, "chan-1", 0).length;
    emu.control.setOptions({
      memberQuota: s.quotaSlack === undefined ? 100 : members + s.quotaSlack,
      defaultMemberHealth: s.defaultHealth,
    });
    const now = clock.now();
    emu.control.load(stateFor(s, now));
    this.checks = new ContractChecks(emu, specOf(s), clock, coverage, new CallObserver(emu.control));
    const tags = new Map(
      s.members.flatMap((m) =>
        m.taggedAgoSeconds === undefined
          ? []
          : [[m.id, (Math.floor(now / 1000) - m.taggedAgoSeconds) * 1000] as const],
      ),
    );
    for (const t of this.targets) {
      for (const m of this.checks.members(t)) {
        if (m.health_status === "unhealthy")
          this.checks.unhealthySince.set(m.id, tags.get(m.ecs_id ?? "") ?? wholeSeconds(now));
      }
    }
  }

  private state = () => this.emu.control.state();

  // --- steps of the history

  /** Applies a step that is not a delivery; returns the event it makes, if any. */
  apply(step: Exclude<Step, { kind: "deliver" }>): string | undefined {
    switch (step.kind) {
      case "wait":
        this.clock.advance(step.seconds * 1000);
        return undefined;
      case "settle":
        this.emu.control.setScalingActivity(step.group, false);
        return undefined;
      case "flip":
        this.flip(step);
        return undefined;
      default:
        this.mutate(step);
        return JSON.stringify({ scaling_group_id: step.group, instance_id: step.id, event: step.kind });
    }
  }

  private flip(step: Extract<Step, { kind: "flip" }>): void {
    const t = this.targets[step.target]!;
    const member = this.checks.members(t).find((m) => this.checks.ofInstance(m, step.id));
    if (!member) return;
    this.emu.control.setMemberHealth({
      instance_id: GATEWAY,
      vpc_channel_id: t.channel,
      member_id: member.id,
      health_status: step.health,
    });
    this.coverage.hit("health flip");
    this.checks.healthChanged(member.id, step.health);
  }

  private mutate(step: Extract<Step, { kind: "out" | "launch" | "in" | "terminate" | "sick" }>): void {
    const group = this.state().scaling_groups.find((g) => g.scaling_group_id === step.group)!;
    const current = group.instances.find((i) => i.instance_id === step.id);
    const hanging = group.hanging.some((h) => h.instance_id === step.id);
    const put = (state: LifeState, health: AsHealth = "NORMAL") =>
      this.emu.control.setInstance({
        scaling_group_id: step.group,
        instance_id: step.id,
        instance_name: `web-${step.id}`,
        life_cycle_state: state,
        health_status: health,
        ...(this.s.variant === "ip" ? { ipv4: ipOf(step.id) } : {}),
      });
    const hook = (name: "launch" | "terminate") =>
      this.emu.control.addHangingHook({
        scaling_group_id: step.group,
        instance_id: step.id,
        lifecycle_hook_name: name,
      });
    switch (step.kind) {
      case "out":
        if (!current) put("INSERVICE");
        break;
      case "launch":
        if (!current) {
          put("PENDING_WAIT", "INITIALIZING");
          hook("launch");
        }
        break;
      case "in":
        if (current) this.emu.control.removeInstance(step.group, step.id);
        break;
      case "terminate":
        if (current && !hanging && current.life_cycle_state === "INSERVICE") {
          put("REMOVING_WAIT", current.health_status as AsHealth);
          hook("terminate");
        }
        break;
      case "sick":
        if (current) put(current.life_cycle_state as LifeState, "ERROR");
        break;
    }
  }

  /** Instances that went to standby since the step's start. */
  private movedToStandby(before: Before): string[] {
    const was = new Map(
      before.state.scaling_groups.flatMap((g) => g.instances).map((i) => [i.instance_id, i.life_cycle_state]),
    );
    return this.state()
      .scaling_groups.flatMap((g) => g.instances)
      .filter((i) => i.life_cycle_state === "STANDBY" && was.get(i.instance_id) !== "STANDBY")
      .map((i) => i.instance_id);
  }

  /** One delivery: the invocations at once, under the faults; then every invariant of a step. */
  async deliver(
    when: string,
    invocations: { fn: FunctionName; event: unknown; groups: Group[] }[],
    faults: readonly FaultSpec[],
    call: Invoker,
    env: Record<string, string>,
  ): Promise<void> {
    this.emu.control.clearFaults();
    this.emu.control.clearCalls();
    if (faults.length > 0) this.emu.control.addFault(faults.map(faultFor));
    const before = this.checks.before();
    const results = await Promise.all(invocations.map((inv) => call(inv.fn, inv.event, env)));
    this.coverage.deliveries += 1;
    if (invocations.length > 1) this.coverage.hit("overlapping invocations");
    const calls = this.emu.control.calls();
    this.count(calls, results);
    const abandoned = this.checks.checkStep(when, before, calls, invocations.length);
    const retryable = faults.every((f) => f.times > 0 || f.kind === "delay");
    const quotaAmple = this.s.quotaSlack === undefined;
    // One invocation under faults a retry gets past converges at once (an ABANDON makes a stray that the
    // next run removes; a tight quota is a permanent refusal).
    if (retryable && invocations.length === 1 && quotaAmple && !abandoned) {
      const res = results[0]!;
      check(res.error === undefined, `${when}: the invocation failed`, () => res.error?.message);
      check(
        res.deadLetters.length === 0,
        `${when}: dead letters under retryable faults`,
        () => res.deadLetters,
      );
      // An event selects the bindings of the groups it names (and those sharing their member groups).
      const looked = this.checks.spec.targets.filter((t) =>
        t.groups.some((g) => invocations[0]!.groups.includes(g as Group)),
      );
      // An instance one binding moved to standby is drained from that binding's member group in the same
      // run; another member group of its scaling group, planned from the same read of the group, may add
      // or keep it until the next run.
      const lagging =
        this.s.variant === "double" || this.s.variant === "fanout" ? this.movedToStandby(before) : [];
      this.checks.expectConverged(when, [], looked, new Set(lagging.map(this.checks.identityOfInstance)));
    }
  }

  /** The quiet phase: faults cleared, health restored, replacements in service; two runs. */
  async finish(call: Invoker, env: Record<string, string>): Promise<void> {
    this.emu.control.clearFaults();
    this.emu.control.setOptions({ defaultMemberHealth: "healthy" });
    for (const g of groupsOf(this.s.variant)) this.emu.control.setScalingActivity(g, false);
    if (this.s.gateway === "apig") {
      for (const t of this.targets) {
        for (const m of this.checks.members(t)) {
          this.emu.control.setMemberHealth({
            instance_id: GATEWAY,
            vpc_channel_id: t.channel,
            member_id: m.id,
            health_status: "healthy",
          });
          this.checks.healthChanged(m.id, "healthy");
        }
      }
    }
    this.emu.control.clearCalls();
    const before = this.checks.before();
    const final = await call("reconcile", timerEvent, env);
    const calls = this.emu.control.calls();
    this.count(calls, [final]);
    this.coverage.writes += calls.filter((c) => c.method !== "GET").length;
    this.checks.checkStep("final reconcile", before, calls, 1);
    check(final.error === undefined, "final reconcile failed", () => final.error?.message);
    // Only the member quota may keep an instance out; it is dead-lettered, never lost. (An update sent in
    // the same request as a refused add is refused with it, and dead-lettered the same way.)
    const quota = (d: Record<string, unknown>) =>
      (d.action === "add_members" || d.action === "update_members") &&
      (d.error as { code?: string }).code === "APIG.3110";
    check(final.deadLetters.every(quota), "final reconcile dead-lettered", () => final.deadLetters);
    const deadLettered = new Set(final.deadLetters.flatMap((d) => d.instance_ids as string[]));
    this.coverage.hit("final: instance dead-lettered", deadLettered.size);
    this.checks.expectConverged("after the final reconcile", final.deadLetters);
    this.checks.expectHooksSettled("after the final reconcile", deadLettered);
    if (final.deadLetters.length > 0) return;

    await this.checks.expectQuiet(call, env);
    this.coverage.hit("final: converged run re-run");
  }

  private count(calls: readonly CallLogEntry[], results: readonly InvokeResult[]): void {
    for (const c of calls) {
      const op = operationOf(c);
      if (!op) continue;
      this.coverage.hit(`call: ${op}`);
      if (c.fault) this.coverage.hit(`fault: ${op}`);
    }
    this.coverage.hit(
      "dead letter",
      results.reduce((n, r) => n + r.deadLetters.length, 0),
    );
    this.coverage.hit(
      "fraction guard held",
      results.reduce((n, r) => n + Number(r.summary?.quarantine_guarded ?? 0), 0),
    );
    const of = (op: Operation, okOnly = true) =>
      calls.filter((c) => operationOf(c) === op && (!okOnly || applied(c)));
    this.coverage.hit("dead letter published", of("smn publish").length);
    this.coverage.hit("member group created", of("member-groups").length);
    this.coverage.hit("health check set", of("health-config").length);
    this.coverage.hit("quarantine (ENTER_STANDBY)", of("standby").length);
    if (this.s.variant === "double" || this.s.variant === "fanout")
      this.coverage.hit("quarantine of a group bound to two member groups", of("standby").length);
    const refused = of("add members", false).filter((c) => c.status === 403);
    this.coverage.hit("member quota refused (APIG.3110)", refused.length);
    // An add refused for the quota, then deletes, then the add done: the deferred retry.
    const firstRefused = refused[0]?.seq ?? Number.POSITIVE_INFINITY;
    const deleteAfter = of("delete").find((c) => c.seq > firstRefused)?.seq ?? Number.POSITIVE_INFINITY;
    if (of("add members").some((c) => c.seq > deleteAfter))
      this.coverage.hit("deferred add retried after the deletes");
  }
}
