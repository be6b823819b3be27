/**
 * The model behind the property tests: a random starting world (a channel with our member group and a
 * foreign one, one or two AS groups), a random history of scale-out / scale-in / lifecycle-hook / health
 * events, delivered with duplicates, reordering and drops while random transient faults hit the API, then
 * one reconcile. `runCase` drives any invoker (built bundle or src) and checks the invariants:
 *
 * - after every delivery: no foreign member changed, no member of a desired instance lost, no PUT that
 *   wipes groups or members; with only retryable faults, no dead letter and the target converged;
 * - after the final reconcile: our member group equals the desired set exactly, foreign members untouched.
 */
import fc from "fast-check";
import type { Emulator, Fault, StateInput, VpcMemberInfo } from "../emulator";
import { type FunctionName, romaChannel, romaInstance } from "../support/harness";

/** A whole-channel PUT (UpdateVpcChannelV2): the product never sends one (channel setup uses narrower APIs). */
const wholeChannelPut = (c: { method: string; path: string }) =>
  c.method === "PUT" && /\/vpc-channels\/[^/]+$/.test(c.path);

export type Variant = "single" | "shared" | "ip";
type LifeState = "INSERVICE" | "PENDING_WAIT" | "REMOVING_WAIT" | "PENDING" | "STANDBY";
type Health = "NORMAL" | "ERROR" | "INITIALIZING";
type Group = "asg-1" | "asg-2";

export interface InitialInstance {
  group: Group;
  id: string;
  state: LifeState;
  health: Health;
}

export interface InitialMember {
  id: string;
  status: 1 | 2;
  weight: number;
  /** ip channels: a member may carry only its address. */
  withEcsId: boolean;
}

export type FaultKind = "429" | "500" | "503" | "reset" | "malformed" | "delay";
export const FAULT_OPS = [
  "list members",
  "list instances",
  "list hooks",
  "show channel",
  "add",
  "enable",
  "disable",
  "delete",
  "callback",
  "ecs",
] as const;
export type FaultOp = (typeof FAULT_OPS)[number];

export interface FaultSpec {
  op: FaultOp;
  kind: FaultKind;
  /** Uses; 0 = every attempt (the action is dead-lettered). */
  times: 0 | 1 | 2;
}

export type Step =
  | { kind: "out" | "launch" | "in" | "terminate" | "sick"; group: Group; id: string }
  | { kind: "deliver"; picks: number[]; faults: FaultSpec[] };

export interface Scenario {
  variant: Variant;
  weight: number;
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

const groupsOf = (variant: Variant): Group[] => (variant === "shared" ? ["asg-1", "asg-2"] : ["asg-1"]);

// ---------------------------------------------------------------------------------------------------
// Generators

const faultSpec: fc.Arbitrary<FaultSpec> = fc.record({
  op: fc.constantFrom(...FAULT_OPS),
  kind: fc.constantFrom<FaultKind>("429", "500", "503", "reset", "malformed", "delay"),
  // Mostly faults a retry gets past; sometimes one that never clears (dead-lettered, then repaired).
  times: fc.oneof(
    { weight: 10, arbitrary: fc.constantFrom<1 | 2>(1, 2) },
    { weight: 1, arbitrary: fc.constant<0>(0) },
  ),
});

function scenarioFor(variant: Variant): fc.Arbitrary<Scenario> {
  const groups = groupsOf(variant);
  const ours = groups.flatMap((g) => POOL[g]);
  const instance = (group: Group) =>
    fc.record({
      group: fc.constant(group),
      id: fc.constantFrom(...POOL[group]),
      state: fc.constantFrom<LifeState>(
        "INSERVICE",
        "INSERVICE",
        "INSERVICE",
        "PENDING_WAIT",
        "REMOVING_WAIT",
        "PENDING",
        "STANDBY",
      ),
      health: fc.constantFrom<Health>("NORMAL", "NORMAL", "NORMAL", "ERROR", "INITIALIZING"),
    });
  const member = (ids: string[]) =>
    fc.record({
      id: fc.constantFrom(...ids),
      status: fc.constantFrom<1 | 2>(1, 1, 2),
      weight: fc.integer({ min: 1, max: 5 }),
      withEcsId: variant === "ip" ? fc.boolean() : fc.constant(true),
    });
  const mutation = fc
    .record({
      kind: fc.constantFrom("out", "out", "launch", "in", "in", "terminate", "sick") as fc.Arbitrary<
        "out" | "launch" | "in" | "terminate" | "sick"
      >,
      group: fc.constantFrom(...groups),
      id: fc.nat({ max: 5 }),
    })
    .map((m) => ({ ...m, id: POOL[m.group][m.id % POOL[m.group].length]! }));
  const deliver = fc.record({
    kind: fc.constant("deliver" as const),
    // Indices into the events so far (mod their count): duplicates and any order; the rest are dropped.
    picks: fc.array(fc.nat({ max: 20 }), { minLength: 1, maxLength: 4 }),
    faults: fc.array(faultSpec, { maxLength: 2 }),
  });
  return fc.record({
    variant: fc.constant(variant),
    weight: fc.integer({ min: 1, max: 5 }),
    instances: fc.uniqueArray(fc.oneof(...groups.map(instance)), { selector: (i) => i.id, maxLength: 6 }),
    // One member per identity: the gateway (and the emulator) refuse two.
    members: fc.uniqueArray(member([...ours, ...STALE]), { selector: (m) => m.id, maxLength: 6 }),
    foreign: fc.uniqueArray(member([...ours.slice(0, 3), ...FOREIGN]), {
      selector: (m) => m.id,
      minLength: 1,
      maxLength: 3,
    }),
    steps: fc
      .array(fc.oneof({ weight: 3, arbitrary: mutation }, { weight: 2, arbitrary: deliver }), {
        minLength: 1,
        maxLength: 8,
      })
      // A few invocations per case: at most three deliveries.
      .map((steps) => {
        let delivered = 0;
        return steps.filter((s) => s.kind !== "deliver" || ++delivered <= 3);
      }),
  });
}

export const scenario = (variants: Variant[] = ["single", "shared", "ip"]): fc.Arbitrary<Scenario> =>
  fc.constantFrom(...variants).chain(scenarioFor);

// ---------------------------------------------------------------------------------------------------
// World

export interface Binding {
  scaling_group_id: string;
  instance_id: string;
  vpc_channel_id: string;
  member_group_name: string;
  weight: number;
  drain_seconds: number;
}

export function bindingsFor(s: Scenario): Binding[] {
  return groupsOf(s.variant).map((g) => ({
    scaling_group_id: g,
    instance_id: "roma-1",
    vpc_channel_id: "chan-1",
    member_group_name: "web",
    weight: s.weight,
    drain_seconds: 0,
  }));
}

function memberInput(m: InitialMember, group: string, variant: Variant, index: number) {
  return {
    // Explicit ids: two members of one identity (a duplicate) would otherwise get the same one.
    id: `${group === "web" ? "1" : "2"}${String(index).padStart(31, "0")}`,
    ...(m.withEcsId ? { ecs_id: m.id, ecs_name: `old-${m.id}` } : {}),
    ...(variant === "ip" ? { host: ipOf(m.id) } : {}),
    member_group_name: group,
    weight: m.weight,
    status: m.status,
  };
}

export function stateFor(s: Scenario): StateInput {
  const hooks = [
    { lifecycle_hook_name: "launch", lifecycle_hook_type: "INSTANCE_LAUNCHING" as const },
    { lifecycle_hook_name: "terminate", lifecycle_hook_type: "INSTANCE_TERMINATING" as const },
  ];
  return {
    gateways: romaInstance([
      romaChannel({
        memberType: s.variant === "ip" ? "ip" : "ecs",
        members: [
          ...s.foreign.map((m, i) => memberInput(m, "other", s.variant, i)),
          ...s.members.map((m, i) => memberInput(m, "web", s.variant, i)),
        ],
      }),
    ]),
    scaling_groups: groupsOf(s.variant).map((g) => {
      const mine = s.instances.filter((i) => i.group === g);
      return {
        scaling_group_id: g,
        instances: mine.map((i) => ({
          instance_id: i.id,
          instance_name: `web-${i.id}`,
          life_cycle_state: i.state,
          health_status: i.health,
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
    })),
  };
}

const FAULT_PATH: Record<FaultOp, { method: string; path: string }> = {
  "list members": { method: "GET", path: "/vpc-channels/chan-1/members$" },
  "list instances": { method: "GET", path: "/scaling_group_instance/" },
  "list hooks": { method: "GET", path: "/scaling_instance_hook/[^/]+/list$" },
  "show channel": { method: "GET", path: "/vpc-channels/chan-1$" },
  add: { method: "POST", path: "/vpc-channels/chan-1/members$" },
  enable: { method: "POST", path: "/batch-enable$" },
  disable: { method: "POST", path: "/batch-disable$" },
  delete: { method: "DELETE", path: "/members/" },
  callback: { method: "PUT", path: "/callback$" },
  ecs: { method: "GET", path: "/cloudservers/" },
};

export function faultFor(f: FaultSpec): Fault {
  const where = { ...FAULT_PATH[f.op], times: f.times };
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
// Observations

const SERVING = new Set(["INSERVICE", "PENDING_WAIT"]);

/** Desired identities of our member group in the emulator's current state (ecs ids, or ips). */
export function desired(emu: Emulator, s: Scenario): string[] {
  const groups = new Set(groupsOf(s.variant));
  const ids = emu.control
    .state()
    .scaling_groups.filter((g) => groups.has(g.scaling_group_id as Group))
    .flatMap((g) => g.instances)
    .filter((i) => SERVING.has(i.life_cycle_state) && i.health_status !== "ERROR")
    .map((i) => i.instance_id);
  return [...new Set(ids)].map((id) => (s.variant === "ip" ? ipOf(id) : id)).sort();
}

const channel = (emu: Emulator) => emu.control.state().gateways[0]!.channels[0]!;
const identity = (s: Scenario, m: VpcMemberInfo) => (s.variant === "ip" ? m.host : (m.ecs_id ?? ""));
export const web = (emu: Emulator) => channel(emu).members.filter((m) => m.member_group_name === "web");
export const foreign = (emu: Emulator) =>
  channel(emu)
    .members.filter((m) => m.member_group_name !== "web")
    .sort((a, b) => a.id.localeCompare(b.id));

export interface InvokeResult {
  error?: Error;
  deadLetters: Array<Record<string, unknown>>;
}

export type Invoker = (
  fn: FunctionName,
  event: unknown,
  env: Record<string, string>,
) => Promise<InvokeResult>;

class PropertyFailure extends Error {}

function check(cond: boolean, what: string, detail: () => unknown): void {
  if (!cond) throw new PropertyFailure(`${what}: ${JSON.stringify(detail())}`);
}

function expectConverged(emu: Emulator, s: Scenario, when: string): void {
  const members = web(emu);
  const got = members.map((m) => identity(s, m)).sort();
  const want = desired(emu, s);
  check(
    JSON.stringify(got) === JSON.stringify(want),
    `${when}: our member group is not the desired set`,
    () => ({
      got,
      want,
    }),
  );
  for (const m of members) {
    check(m.status === 1, `${when}: a desired member is disabled`, () => m);
    check(m.weight === s.weight, `${when}: a member has the wrong weight`, () => m);
    if (s.variant !== "ip" || m.ecs_id)
      check(m.ecs_name === `web-${m.ecs_id}`, `${when}: wrong ecs_name`, () => m);
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
 * Runs one scenario against a reset emulator through `call`; throws PropertyFailure naming the broken
 * invariant. `env` is the function environment (bindings are set here).
 */
/** What a run of cases exercised, so a test can insist the generator stays meaningful. */
export interface Coverage {
  cases: number;
  deliveries: number;
  faultedCalls: number;
  deadLettered: number;
  writes: number;
  variants: Record<Variant, number>;
}

export const emptyCoverage = (): Coverage => ({
  cases: 0,
  deliveries: 0,
  faultedCalls: 0,
  deadLettered: 0,
  writes: 0,
  variants: { single: 0, shared: 0, ip: 0 },
});

export async function runCase(
  emu: Emulator,
  s: Scenario,
  call: Invoker,
  env: Record<string, string>,
  coverage: Coverage = emptyCoverage(),
): Promise<void> {
  coverage.cases += 1;
  coverage.variants[s.variant] += 1;
  emu.control.reset();
  // Quota is a permanent refusal, not a fault: leave room (adds run before removals, so a channel at its
  // quota dead-letters the add and converges on the replay; see the fault matrix for APIG.3110).
  emu.control.setOptions({ memberQuota: 100 });
  emu.control.load(stateFor(s));
  const fullEnv = { ...env, BINDINGS: JSON.stringify(bindingsFor(s)) };
  const foreignBefore = JSON.stringify(foreign(emu));
  const events: string[] = [];

  for (const [n, step] of s.steps.entries()) {
    if (step.kind !== "deliver") {
      applyMutation(emu, step, s);
      events.push(JSON.stringify({ scaling_group_id: step.group, instance_id: step.id, event: step.kind }));
      continue;
    }
    if (events.length === 0) continue;
    const picked = step.picks.map((p) => events[p % events.length]!);
    emu.control.clearFaults();
    emu.control.clearCalls();
    if (step.faults.length > 0) emu.control.addFault(step.faults.map(faultFor));
    const enabledBefore = enabledIdentities(emu, s);
    const desiredBefore = new Set(desired(emu, s));
    const res = await call("scaling-events", smnEvent(picked), fullEnv);
    const when = `after delivery ${n}`;
    coverage.deliveries += 1;
    coverage.faultedCalls += emu.control.calls().filter((c) => c.fault).length;
    coverage.deadLettered += res.deadLetters.length;

    check(JSON.stringify(foreign(emu)) === foreignBefore, `${when}: a foreign member changed`, () =>
      foreign(emu),
    );
    const enabledAfter = enabledIdentities(emu, s);
    for (const id of enabledBefore) {
      if (desiredBefore.has(id)) check(enabledAfter.has(id), `${when}: a desired member was lost`, () => id);
    }
    check(
      !emu.control.calls().some((c) => c.traps?.length || wholeChannelPut(c)),
      `${when}: a whole-channel PUT was sent, or a call wiped groups or members`,
      () => emu.control.calls().filter((c) => c.traps?.length || wholeChannelPut(c)),
    );
    if (step.faults.every((f) => f.times > 0 || f.kind === "delay")) {
      check(res.error === undefined, `${when}: the invocation failed`, () => res.error?.message);
      check(
        res.deadLetters.length === 0,
        `${when}: dead letters under retryable faults`,
        () => res.deadLetters,
      );
      expectConverged(emu, s, when);
    }
  }

  emu.control.clearFaults();
  emu.control.clearCalls();
  const final = await call("reconcile", { trigger_type: "TIMER", user_event: "" }, fullEnv);
  coverage.writes += emu.control.calls().filter((c) => c.method !== "GET").length;
  check(final.error === undefined, "final reconcile failed", () => final.error?.message);
  check(final.deadLetters.length === 0, "final reconcile dead-lettered", () => final.deadLetters);
  check(JSON.stringify(foreign(emu)) === foreignBefore, "a foreign member changed", () => foreign(emu));
  expectConverged(emu, s, "after the final reconcile");
}

function enabledIdentities(emu: Emulator, s: Scenario): Set<string> {
  return new Set(
    web(emu)
      .filter((m) => m.status === 1)
      .map((m) => identity(s, m)),
  );
}

function applyMutation(emu: Emulator, step: Exclude<Step, { kind: "deliver" }>, s: Scenario): void {
  const group = emu.control.state().scaling_groups.find((g) => g.scaling_group_id === step.group)!;
  const current = group.instances.find((i) => i.instance_id === step.id);
  const hanging = group.hanging.some((h) => h.instance_id === step.id);
  const put = (state: LifeState, health: Health = "NORMAL") =>
    emu.control.setInstance({
      scaling_group_id: step.group,
      instance_id: step.id,
      instance_name: `web-${step.id}`,
      life_cycle_state: state,
      health_status: health,
      ...(s.variant === "ip" ? { ipv4: ipOf(step.id) } : {}),
    });
  switch (step.kind) {
    case "out":
      if (!current) put("INSERVICE");
      break;
    case "launch":
      if (!current) {
        put("PENDING_WAIT", "INITIALIZING");
        emu.control.addHangingHook({
          scaling_group_id: step.group,
          instance_id: step.id,
          lifecycle_hook_name: "launch",
        });
      }
      break;
    case "in":
      if (current) emu.control.removeInstance(step.group, step.id);
      break;
    case "terminate":
      if (current && !hanging && current.life_cycle_state === "INSERVICE") {
        put("REMOVING_WAIT", current.health_status as Health);
        emu.control.addHangingHook({
          scaling_group_id: step.group,
          instance_id: step.id,
          lifecycle_hook_name: "terminate",
        });
      }
      break;
    case "sick":
      if (current) put(current.life_cycle_state as LifeState, "ERROR");
      break;
  }
}
