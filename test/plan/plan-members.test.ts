import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { GroupInstance } from "../../src/cloud/autoscaling";
import type { Member } from "../../src/cloud/gateway";
import { BindingSchema } from "../../src/config/schema";
import { type DesiredMember, desiredMembers } from "../../src/plan/desired";
import {
  changesMembers,
  drainPlan,
  healthRuleDecides,
  isEmptyPlan,
  memberTypeOfListing,
  type PlanInput,
  planTarget,
} from "../../src/plan/plan-members";

const NOW = Date.parse("2026-06-01T00:00:00Z");
/** A plan at NOW: these members' ramps (none here: slow start is off) read the same clock every time. */
const planAt = (input: Omit<PlanInput, "now">) => planTarget({ ...input, now: NOW });

const binding = BindingSchema().parse({
  scaling_group_id: "asg-1",
  instance_id: "roma-1",
  vpc_channel_id: "chan-1",
  member_group_name: "web",
});

const instance = (id: string, state = "INSERVICE", health = "NORMAL"): GroupInstance => ({
  instance_id: id,
  instance_name: `name-${id}`,
  life_cycle_state: state,
  health_status: health,
  scaling_group_id: "asg-1",
});

const desired = (id: string, over: Partial<DesiredMember> = {}): DesiredMember => ({
  ecs_id: id,
  ecs_name: `name-${id}`,
  weight: 1,
  slow_start_seconds: 0,
  is_backup: false,
  port: undefined,
  member_group_name: "web",
  scaling_group_id: "asg-1",
  life_cycle_state: "INSERVICE",
  ...over,
});

const member = (id: string, over: Partial<Member> = {}): Member => ({
  id: `m-${id}`,
  ecs_id: id,
  ecs_name: `name-${id}`,
  weight: 1,
  is_backup: false,
  status: 1,
  port: 8080,
  member_group_name: "web",
  create_time: "2026-01-01T00:00:00Z",
  ...over,
});

describe("desiredMembers", () => {
  it.each([
    ["INSERVICE", "NORMAL", true],
    ["PENDING_WAIT", "INITIALIZING", true],
    ["PENDING_WAIT", "INITAILIZING", true],
    ["INSERVICE", "ERROR", false],
    ["PENDING", "NORMAL", false],
    ["REMOVING_WAIT", "NORMAL", false],
    ["REMOVING", "NORMAL", false],
    ["STANDBY", "NORMAL", false],
    ["ENTERING_STANDBY", "NORMAL", false],
  ])("an instance %s with health %s is desired: %s", (state, health, want) => {
    const out = desiredMembers([binding], new Map([["asg-1", [instance("i-1", state, health)]]]));
    expect(out.length === 1).toBe(want);
  });

  it("takes weight, standby and port from the binding", () => {
    const b = BindingSchema().parse({ ...binding, weight: 7, standby: true, port: 9000 });
    expect(desiredMembers([b], new Map([["asg-1", [instance("i-1")]]]))[0]).toMatchObject({
      weight: 7,
      is_backup: true,
      port: 9000,
      ecs_name: "name-i-1",
    });
  });

  it("is one member per instance, whatever else the bindings say, with the instance's AS state", () => {
    const b2 = BindingSchema().parse({ ...binding, scaling_group_id: "asg-2", weight: 9 });
    const out = desiredMembers(
      [binding, b2],
      new Map([
        ["asg-1", [instance("i-1", "PENDING_WAIT", "INITIALIZING")]],
        ["asg-2", [instance("i-1"), instance("i-2", "INSERVICE")]],
      ]),
    );
    expect(out.map((d) => [d.ecs_id, d.weight, d.scaling_group_id, d.life_cycle_state])).toEqual([
      ["i-1", 1, "asg-1", "PENDING_WAIT"],
      ["i-2", 9, "asg-2", "INSERVICE"],
    ]);
    expect(desiredMembers([binding], new Map())).toEqual([]);
  });

  it("is the union over bindings that share a target", () => {
    const b2 = { ...binding, scaling_group_id: "asg-2" };
    const out = desiredMembers(
      [binding, b2],
      new Map([
        ["asg-1", [instance("i-1")]],
        ["asg-2", [{ ...instance("i-2"), scaling_group_id: "asg-2" }]],
      ]),
    );
    expect(out.map((d) => [d.ecs_id, d.scaling_group_id])).toEqual([
      ["i-1", "asg-1"],
      ["i-2", "asg-2"],
    ]);
  });
});

describe("planTarget (ecs channels)", () => {
  const plan = (d: DesiredMember[], a: Member[]) =>
    planAt({ desired: d, actual: a, memberType: "ecs", ips: new Map() });

  it.each<
    [
      string,
      DesiredMember[],
      Member[],
      { add?: string[]; update?: string[]; enable?: string[]; remove?: string[]; unchanged?: number },
    ]
  >([
    ["empty both", [], [], { unchanged: 0 }],
    ["scale-out adds", [desired("a"), desired("b")], [member("a")], { add: ["b"], unchanged: 1 }],
    ["scale-in removes", [desired("a")], [member("a"), member("b")], { remove: ["m-b"], unchanged: 1 }],
    ["converged", [desired("a"), desired("b")], [member("a"), member("b")], { unchanged: 2 }],
    ["weight drift updates", [desired("a", { weight: 5 })], [member("a")], { update: ["a"] }],
    ["standby drift updates", [desired("a", { is_backup: true })], [member("a")], { update: ["a"] }],
    ["port enforced only when set", [desired("a", { port: 9000 })], [member("a")], { update: ["a"] }],
    ["channel port left alone", [desired("a")], [member("a", { port: 1234 })], { unchanged: 1 }],
    ["disabled but desired is enabled", [desired("a")], [member("a", { status: 2 })], { enable: ["m-a"] }],
    [
      "duplicates keep the enabled one",
      [desired("a")],
      [member("a", { id: "m-1", status: 2 }), member("a", { id: "m-2" })],
      { remove: ["m-1"], unchanged: 1 },
    ],
    [
      "member without ecs_id is a stray",
      [],
      [member("x", { ecs_id: null, host: "10.0.0.9" })],
      { remove: ["m-x"] },
    ],
    [
      "missing defaults compare equal",
      [desired("a")],
      [member("a", { weight: null, is_backup: null, status: null })],
      { unchanged: 1 },
    ],
  ])("%s", (_, d, a, want) => {
    const p = plan(d, a);
    expect(p.upserts.filter((u) => u.kind === "add").map((u) => u.desired.ecs_id)).toEqual(want.add ?? []);
    expect(p.upserts.filter((u) => u.kind === "update").map((u) => u.desired.ecs_id)).toEqual(
      want.update ?? [],
    );
    expect(p.enable.map((m) => m.id)).toEqual(want.enable ?? []);
    expect(p.removals.map((r) => r.member.id)).toEqual(want.remove ?? []);
    expect(p.unchanged).toBe(want.unchanged ?? 0);
  });

  it("drains enabled members and deletes disabled ones straight away", () => {
    const p = plan([], [member("a"), member("b", { status: 2 })]);
    expect(p.removals.map((r) => [r.member.id, r.instanceId, r.reason, r.drain])).toEqual([
      ["m-a", "a", "not_desired", true],
      ["m-b", "b", "not_desired", false],
    ]);
  });

  it("with the member type unknown, adds as an ecs channel takes them and updates with the listed address", () => {
    const p = planAt({
      desired: [desired("a"), desired("b", { weight: 5 })],
      actual: [member("b", { host: "10.0.0.2" })],
      memberType: undefined,
      ips: new Map(),
    });
    expect(p.needsMemberType).toBe(false);
    expect(p.upserts.map((u) => [u.kind, u.desired.ecs_id, u.host])).toEqual([
      ["add", "a", undefined],
      ["update", "b", "10.0.0.2"],
    ]);
    const converged = planAt({
      desired: [desired("a")],
      actual: [member("a")],
      memberType: undefined,
      ips: new Map(),
    });
    expect(converged.needsMemberType).toBe(false);
    expect(isEmptyPlan(converged)).toBe(true);
  });

  it("asks for the member type before a port change: on an ip channel it makes another member", () => {
    const p = planAt({
      desired: [desired("a", { port: 9090 })],
      actual: [member("a", { host: "10.0.0.1" })],
      memberType: undefined,
      ips: new Map(),
    });
    expect(p.needsMemberType).toBe(true);
    const known = planAt({
      desired: [desired("a", { port: 9090 })],
      actual: [member("a", { host: "10.0.0.1" })],
      memberType: "ecs",
      ips: new Map(),
    });
    expect(known.needsMemberType).toBe(false);
    expect(known.upserts.map((u) => [u.kind, u.changes])).toEqual([["update", ["port"]]]);
  });
});

describe("changesMembers", () => {
  const input = { memberType: "ecs" as const, ips: new Map<string, string>() };

  it("counts adds, updates, re-enables and removals; a removal only once every instance is read", () => {
    expect(changesMembers(planAt({ ...input, desired: [desired("a")], actual: [] }))).toBe(true);
    const stray = planAt({ ...input, desired: [], actual: [member("a")] });
    expect(changesMembers(stray)).toBe(true);
    expect(changesMembers(stray, true)).toBe(false);
    expect(changesMembers(planAt({ ...input, desired: [desired("a")], actual: [member("a")] }))).toBe(false);
    const disabled = planAt({ ...input, desired: [desired("a")], actual: [member("a", { status: 2 })] });
    expect([disabled.upserts.length, disabled.enable.length]).toEqual([0, 1]);
    expect(changesMembers(disabled)).toBe(true);
  });

  it("does not count a slow-start raise", () => {
    const raise = planAt({
      ...input,
      desired: [desired("a", { weight: 10, slow_start_seconds: 300 })],
      actual: [member("a", { weight: 1, create_time: new Date(NOW - 200_000).toISOString() })],
    });
    expect(raise.upserts.map((u) => u.kind)).toEqual(["ramp"]);
    expect(changesMembers(raise)).toBe(false);
  });
});

describe("healthRuleDecides", () => {
  const ramping = (health: string) => ({
    desired: [desired("a", { weight: 10, slow_start_seconds: 300 })],
    actual: [
      member("a", { weight: 1, health_status: health, create_time: new Date(NOW - 200_000).toISOString() }),
    ],
    memberType: "ecs" as const,
    ips: new Map<string, string>(),
    now: NOW,
  });

  it("is true only for a raise of a member reported unknown: held where the channel checks health", () => {
    const decides = (health: string) => {
      const input = ramping(health);
      return healthRuleDecides(input, planTarget({ ...input, healthChecked: false }));
    };
    expect(decides("unknown")).toBe(true);
    expect(decides("healthy")).toBe(false);
    expect(decides("unhealthy")).toBe(false);
  });

  it("is false for a member reported unknown that has no raise to wait for: at its weight, or without slow start", () => {
    const atWeight = ramping("unknown");
    for (const input of [
      { ...atWeight, actual: atWeight.actual.map((m) => ({ ...m, weight: 10 })) },
      {
        ...atWeight,
        desired: [desired("a", { weight: 10 })],
        actual: [member("a", { weight: 4, health_status: "unknown" })],
      },
    ])
      expect(healthRuleDecides(input, planTarget({ ...input, healthChecked: false }))).toBe(false);
  });

  it("is true when one member of several is reported unknown", () => {
    const one = ramping("unknown");
    const input = {
      ...one,
      desired: [...one.desired, desired("b", { weight: 10 })],
      actual: [...one.actual, member("b", { weight: 10, health_status: "healthy" })],
    };
    expect(healthRuleDecides(input, planTarget({ ...input, healthChecked: false }))).toBe(true);
  });
});

describe("memberTypeOfListing", () => {
  const m = (fields: Partial<Member>): Member => ({ id: "m", member_group_name: "web", ...fields });

  it("a member without an ecs_id proves an ip channel (an ecs channel refuses one)", () => {
    expect(memberTypeOfListing([m({ ecs_id: "i-1", host: "10.0.0.1" }), m({ host: "10.0.0.2" })])).toBe("ip");
  });

  it("members with an ecs_id prove nothing: this function gives them one on ip channels too", () => {
    expect(
      memberTypeOfListing([m({ ecs_id: "i-1", host: "10.0.0.1", ecs_name: "web-i-1" })]),
    ).toBeUndefined();
    expect(memberTypeOfListing([])).toBeUndefined();
  });
});

describe("planTarget (ip channels)", () => {
  it("asks for addresses, then adds with host", () => {
    const first = planAt({ desired: [desired("a")], actual: [], memberType: "ip", ips: new Map() });
    expect(first.needsAddress).toEqual(["a"]);
    expect(first.upserts).toEqual([]);
    const second = planAt({
      desired: [desired("a")],
      actual: [],
      memberType: "ip",
      ips: new Map([["a", "10.0.0.1"]]),
    });
    expect(second.upserts[0]).toMatchObject({ kind: "add", host: "10.0.0.1" });
  });

  it("claims members without ECS fields by their address", () => {
    const m = member("a", { ecs_id: null, ecs_name: null, host: "10.0.0.1" });
    const p = planAt({
      desired: [desired("a")],
      actual: [m],
      memberType: "ip",
      ips: new Map([["a", "10.0.0.1"]]),
    });
    expect(isEmptyPlan(p)).toBe(true);
    expect(p.unchanged).toBe(1);
  });

  it("replaces a member whose port changes (address and port are its identity)", () => {
    const m = member("a", { host: "10.0.0.1", port: 80 });
    const p = planAt({
      desired: [desired("a", { port: 81 })],
      actual: [m],
      memberType: "ip",
      ips: new Map([["a", "10.0.0.1"]]),
    });
    expect(p.upserts.map((u) => u.kind)).toEqual(["add"]);
    expect(p.removals.map((r) => [r.member.id, r.reason])).toEqual([["m-a", "replaced"]]);
  });
});

describe("planTarget (slow start)", () => {
  const ramping = (id: string, over: Partial<DesiredMember> = {}) =>
    desired(id, { weight: 10, slow_start_seconds: 100, ...over });
  /** A member created this many seconds before NOW. */
  const aged = (id: string, seconds: number, over: Partial<Member> = {}) =>
    member(id, { create_time: new Date(NOW - seconds * 1000).toISOString(), ...over });

  it("adds a new member at its start weight, step 0", () => {
    const p = planAt({ desired: [ramping("a")], actual: [], memberType: "ecs", ips: new Map() });
    expect(p.upserts).toMatchObject([{ kind: "add", weight: 1, rampStep: 0 }]);
    const flat = planAt({
      desired: [ramping("a", { weight: 1 })],
      actual: [],
      memberType: "ecs",
      ips: new Map(),
    });
    expect(flat.upserts[0]).toMatchObject({ kind: "add", weight: 1 });
    expect(flat.upserts[0]!.rampStep).toBeUndefined();
  });

  it("raises a member below its step as a ramp, of the weight alone; one at its step is unchanged", () => {
    const p = planAt({
      desired: [ramping("a"), ramping("b")],
      actual: [aged("a", 45, { weight: 2 }), aged("b", 45, { weight: 4 })],
      memberType: "ecs",
      ips: new Map(),
    });
    expect(p.upserts).toMatchObject([
      { kind: "ramp", weight: 4, rampStep: 2, changes: ["weight"], from: { weight: 2 }, to: { weight: 4 } },
    ]);
    expect(p.unchanged).toBe(1);
  });

  it("a raise beside another change is an update; a member above the weight is brought down by an update", () => {
    const p = planAt({
      desired: [ramping("a"), ramping("b")],
      actual: [aged("a", 45, { weight: 1, ecs_name: "old" }), aged("b", 45, { weight: 30 })],
      memberType: "ecs",
      ips: new Map(),
    });
    expect(p.upserts.map((u) => [u.kind, u.weight, u.changes])).toEqual([
      ["update", 4, ["weight", "ecs_name"]],
      ["update", 10, ["weight"]],
    ]);
  });

  it("lists the members whose create_time cannot tell their age, given their weight at once", () => {
    const p = planAt({
      desired: [ramping("a"), ramping("b")],
      actual: [aged("a", 10, { create_time: "soon" }), aged("b", 10, { create_time: "soon", weight: 10 })],
      memberType: "ecs",
      ips: new Map(),
    });
    expect(p.upserts).toMatchObject([{ kind: "ramp", weight: 10, rampStep: 5 }]);
    expect(p.undated.map((m) => m.id)).toEqual(["m-a"]);
  });

  it("holds an APIG member not reported healthy: unknown only where the channel checks health", () => {
    const actual = [
      aged("a", 70, { health_status: "unhealthy" }),
      aged("b", 70, { health_status: "unknown" }),
    ];
    const input = {
      desired: [ramping("a"), ramping("b")],
      actual,
      memberType: "ecs" as const,
      ips: new Map(),
    };
    expect(planAt(input).upserts.map((u) => [u.desired.ecs_id, u.weight])).toEqual([["b", 6]]);
    expect(planAt({ ...input, healthChecked: true }).upserts).toEqual([]);
  });

  it("a member replaced on an ip channel (new port) ramps again from the start", () => {
    const p = planAt({
      desired: [ramping("a", { port: 81 })],
      actual: [aged("a", 5000, { host: "10.0.0.1", port: 80, weight: 10 })],
      memberType: "ip",
      ips: new Map([["a", "10.0.0.1"]]),
    });
    expect(p.upserts).toMatchObject([{ kind: "add", weight: 1, rampStep: 0, to: { weight: 1, port: 81 } }]);
  });
});

describe("planTarget properties", () => {
  const ids = fc.uniqueArray(fc.constantFrom("a", "b", "c", "d", "e", "f", "g", "h"), { maxLength: 8 });
  const arb = fc.record({
    want: ids,
    have: fc.array(
      fc.record({
        id: fc.constantFrom("a", "b", "c", "d", "e", "f", "g", "h", "z"),
        status: fc.constantFrom(1, 2),
        weight: fc.constantFrom(1, 2),
      }),
      { maxLength: 10 },
    ),
  });

  it("applying the plan converges: planning again yields nothing", () => {
    fc.assert(
      fc.property(arb, ({ want, have }) => {
        const d = want.map((id) => desired(id));
        const actual = have.map((h, i) => member(h.id, { id: `m${i}`, status: h.status, weight: h.weight }));
        const p = planAt({ desired: d, actual, memberType: "ecs", ips: new Map() });
        // Simulate the gateway: upsert by ecs_id, enable, delete.
        const removed = new Set(p.removals.map((r) => r.member.id));
        const after = new Map<string, Member>();
        for (const m of actual) if (!removed.has(m.id)) after.set(m.id, { ...m });
        for (const m of p.enable) after.set(m.id, { ...after.get(m.id)!, status: 1 });
        for (const u of p.upserts) {
          const existing = [...after.values()].find((m) => m.ecs_id === u.desired.ecs_id);
          if (existing)
            after.set(existing.id, { ...existing, weight: u.desired.weight, ecs_name: u.desired.ecs_name });
          else
            after.set(`new-${u.desired.ecs_id}`, member(u.desired.ecs_id, { id: `new-${u.desired.ecs_id}` }));
        }
        const again = planAt({
          desired: d,
          actual: [...after.values()],
          memberType: "ecs",
          ips: new Map(),
        });
        expect(isEmptyPlan(again)).toBe(true);
        expect(new Set([...after.values()].map((m) => m.ecs_id))).toEqual(new Set(want));
      }),
      { numRuns: 500 },
    );
  });

  it("never touches a member of a desired instance except to fix it", () => {
    // Members that may differ from what is desired in every field the plan fixes, duplicates included.
    const members = fc.array(
      fc.record({
        id: fc.constantFrom("a", "b", "c", "d", "e", "f", "g", "h", "z"),
        status: fc.constantFrom(1, 2),
        weight: fc.constantFrom(1, 2),
        renamed: fc.boolean(),
        backup: fc.boolean(),
        created: fc.constantFrom("2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z"),
      }),
      { maxLength: 10 },
    );
    fc.assert(
      fc.property(ids, members, (want, have) => {
        const d = want.map((id) => desired(id));
        const actual = have.map((h, i) =>
          member(h.id, {
            id: `m${i}`,
            status: h.status,
            weight: h.weight,
            is_backup: h.backup,
            ecs_name: h.renamed ? "old-name" : `name-${h.id}`,
            create_time: h.created,
          }),
        );
        const p = planAt({ desired: d, actual, memberType: "ecs", ips: new Map() });
        const removed = new Set(p.removals.map((r) => r.member.id));
        for (const id of want) {
          const mine = actual.filter((m) => m.ecs_id === id);
          const writes = {
            removals: p.removals.filter((r) => r.instanceId === id),
            upserts: p.upserts.filter((u) => u.desired.ecs_id === id),
            enable: p.enable.filter((m) => m.ecs_id === id),
          };
          if (mine.length === 0) {
            expect(writes.upserts.map((u) => u.kind)).toEqual(["add"]);
            continue;
          }
          // One member stays: one that serves, if any does. Only its duplicates go.
          const kept = mine.filter((m) => !removed.has(m.id));
          expect(kept).toHaveLength(1);
          const k = kept[0]!;
          if (mine.some((m) => m.status === 1)) expect(k.status).toBe(1);
          expect(writes.removals.map((r) => r.reason)).toEqual(mine.slice(1).map(() => "duplicate"));
          for (const r of writes.removals) expect(r.drain).toBe(r.member.status === 1);
          // The one that stays is written only where it differs, and only the fields that differ.
          const differing = [
            ...(k.weight !== 1 ? ["weight"] : []),
            ...(k.is_backup ? ["is_backup"] : []),
            ...(k.ecs_name !== `name-${id}` ? ["ecs_name"] : []),
          ];
          expect(writes.upserts.map((u) => [u.kind, u.member?.id, [...u.changes].sort()])).toEqual(
            differing.length > 0 ? [["update", k.id, differing.sort()]] : [],
          );
          expect(writes.enable).toEqual(k.status === 2 ? [k] : []);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe("planTarget (which duplicate stays)", () => {
  const plan = (a: Member[]) =>
    planAt({ desired: [desired("a")], actual: a, memberType: "ecs", ips: new Map() });
  /** The member kept of these duplicates, whatever order the gateway lists them in. */
  const kept = (a: Member[]) => {
    const forward = plan(a).memberFor.get("a")?.id;
    expect(plan([...a].reverse()).memberFor.get("a")?.id).toBe(forward);
    return forward;
  };

  it("keeps the enabled one, then the oldest, then the smallest id, in any listing order", () => {
    expect(kept([member("a", { id: "m-1", status: 2 }), member("a", { id: "m-2" })])).toBe("m-2");
    expect(kept([member("a", { id: "m-1", status: 2 }), member("a", { id: "m-2", status: 2 })])).toBe("m-1");
    expect(
      kept([
        member("a", { id: "m-1", create_time: "2026-03-01T00:00:00Z" }),
        member("a", { id: "m-2", create_time: "2026-02-01T00:00:00Z" }),
      ]),
    ).toBe("m-2");
    expect(kept([member("a", { id: "m-2" }), member("a", { id: "m-1" })])).toBe("m-1");
  });

  it("counts a member without a create_time as the oldest", () => {
    expect(kept([member("a", { id: "m-1" }), member("a", { id: "m-2", create_time: null })])).toBe("m-2");
  });

  it("removes the other as a duplicate of its instance, draining it only while it is enabled", () => {
    const p = plan([
      member("a", { id: "m-1" }),
      member("a", { id: "m-2", status: 2 }),
      member("a", { id: "m-3" }),
    ]);
    expect(p.removals).toEqual([
      { member: expect.objectContaining({ id: "m-2" }), instanceId: "a", reason: "duplicate", drain: false },
      { member: expect.objectContaining({ id: "m-3" }), instanceId: "a", reason: "duplicate", drain: true },
    ]);
  });
});

describe("planTarget (what an update says)", () => {
  const plan = (d: DesiredMember, m: Member) =>
    planAt({ desired: [d], actual: [m], memberType: "ecs", ips: new Map() });

  it("names each differing field with its value as listed and as it will be", () => {
    const p = plan(
      desired("a", { weight: 3, is_backup: true, port: 9000, ecs_name: "new" }),
      member("a", { weight: 2, is_backup: null, port: null, ecs_name: null }),
    );
    expect(p.upserts).toEqual([
      {
        kind: "update",
        desired: expect.objectContaining({ ecs_id: "a" }),
        member: expect.objectContaining({ id: "m-a" }),
        weight: 3,
        changes: ["weight", "is_backup", "port", "ecs_name"],
        from: { weight: 2, is_backup: false, port: null, ecs_name: null },
        to: { weight: 3, is_backup: true, port: 9000, ecs_name: "new" },
      },
    ]);
    expect(p.needsMemberType).toBe(false);
    const listed = plan(
      desired("a", { is_backup: false, port: 9000, ecs_name: "new" }),
      member("a", { is_backup: true, port: 8080, ecs_name: "old" }),
    );
    expect(listed.upserts[0]).toMatchObject({
      from: { is_backup: true, port: 8080, ecs_name: "old" },
      to: { is_backup: false, port: 9000, ecs_name: "new" },
    });
  });

  it("finds nothing to change in a member that has what the binding sets", () => {
    const p = plan(
      desired("a", { is_backup: true, port: 8080 }),
      member("a", { is_backup: true, port: 8080 }),
    );
    expect(p.upserts).toEqual([]);
    expect(p.unchanged).toBe(1);
  });

  it("a change of another field alone is an update even on a ramping binding", () => {
    const p = plan(
      desired("a", { weight: 10, slow_start_seconds: 100, is_backup: true }),
      member("a", { weight: 1, create_time: new Date(NOW - 10_000).toISOString() }),
    );
    expect(p.upserts.map((u) => [u.kind, u.changes, u.rampStep])).toEqual([["update", ["is_backup"], 0]]);
  });
});

describe("planTarget (ip channels, by address)", () => {
  const ip = (d: DesiredMember[], a: Member[], ips: Record<string, string>) =>
    planAt({ desired: d, actual: a, memberType: "ip", ips: new Map(Object.entries(ips)) });
  const byAddress = (id: string, host: string | null, over: Partial<Member> = {}) =>
    member(id, { id: `m-${id}`, ecs_id: null, ecs_name: null, host, ...over });

  it("removes a second member of the same address as a duplicate, and a member with no address", () => {
    const p = ip(
      [desired("a")],
      [byAddress("x", "10.0.0.1"), byAddress("y", "10.0.0.1", { status: 2 }), byAddress("z", null)],
      { a: "10.0.0.1" },
    );
    expect(p.removals.map((r) => [r.member.id, r.instanceId, r.reason, r.drain])).toEqual([
      ["m-y", undefined, "duplicate", false],
      ["m-z", undefined, "not_desired", true],
    ]);
    expect(p.memberFor.get("a")?.id).toBe("m-x");
    // The enabled one stays whichever the gateway lists first.
    const reversed = ip(
      [desired("a")],
      [byAddress("y", "10.0.0.1", { status: 2 }), byAddress("x", "10.0.0.1")],
      {
        a: "10.0.0.1",
      },
    );
    expect(reversed.removals.map((r) => r.member.id)).toEqual(["m-y"]);
  });

  it("removes an address-only member no desired instance has, once every address is known", () => {
    const p = ip([desired("a")], [byAddress("x", "10.0.0.9")], { a: "10.0.0.1" });
    expect(p.removals.map((r) => [r.member.id, r.reason])).toEqual([["m-x", "not_desired"]]);
  });

  it("keeps an address-only member while a desired instance's address is unknown: it may be that one's", () => {
    const p = ip([desired("a")], [byAddress("x", "10.0.0.9")], {});
    expect(p.needsAddress).toEqual(["a"]);
    expect(p.removals).toEqual([]);
  });

  it("removes a member with neither instance nor address even while an address is unknown", () => {
    const p = ip([desired("a")], [byAddress("x", null), byAddress("y", "")], {});
    expect(p.needsAddress).toEqual(["a"]);
    expect(p.removals.map((r) => [r.member.id, r.reason])).toEqual([
      ["m-x", "not_desired"],
      ["m-y", "not_desired"],
    ]);
  });

  it("replaces a member whose instance moved to another address, with no field change to show", () => {
    const m = member("a", { host: "10.0.0.1" });
    const p = ip([desired("a")], [m], { a: "10.0.0.2" });
    expect(p.upserts).toEqual([
      {
        kind: "add",
        desired: expect.objectContaining({ ecs_id: "a" }),
        weight: 1,
        changes: [],
        host: "10.0.0.2",
      },
    ]);
    expect(p.removals).toEqual([{ member: m, instanceId: "a", reason: "replaced", drain: true }]);
  });

  it("an update carries the address to send: the instance's, else the member's", () => {
    const known = ip([desired("a", { weight: 5 })], [member("a", { host: "10.0.0.1" })], { a: "10.0.0.1" });
    expect(known.upserts.map((u) => [u.kind, u.host])).toEqual([["update", "10.0.0.1"]]);
    const listed = ip([desired("a", { weight: 5 })], [member("a", { host: "10.0.0.1" })], {});
    expect(listed.upserts.map((u) => [u.kind, u.host])).toEqual([["update", "10.0.0.1"]]);
    expect(listed.removals).toEqual([]);
  });

  it("a member with no address and none known is updated in place, not replaced", () => {
    const p = ip([desired("a", { weight: 5 })], [member("a", { host: null })], {});
    expect(p.upserts.map((u) => [u.kind, u.host])).toEqual([["update", undefined]]);
    expect(p.removals).toEqual([]);
  });

  it("on an ecs channel an update carries no address and adds need no member type", () => {
    const p = planAt({
      desired: [desired("a", { weight: 5 }), desired("b")],
      actual: [member("a", { host: "10.0.0.1" })],
      memberType: "ecs",
      ips: new Map([
        ["a", "10.0.0.2"],
        ["b", "10.0.0.3"],
      ]),
    });
    expect(p.upserts.map((u) => [u.kind, u.host])).toEqual([
      ["update", undefined],
      ["add", undefined],
    ]);
    expect(p.removals).toEqual([]);
    expect(p.needsMemberType).toBe(false);
  });
});

describe("isEmptyPlan and drainPlan", () => {
  const plan = (d: DesiredMember[], a: Member[]) =>
    planAt({ desired: d, actual: a, memberType: "ecs", ips: new Map() });

  it("a plan with only an add, only an enable or only a removal writes something", () => {
    expect(isEmptyPlan(plan([desired("a")], []))).toBe(false);
    expect(isEmptyPlan(plan([desired("a")], [member("a", { status: 2 })]))).toBe(false);
    expect(isEmptyPlan(plan([], [member("a")]))).toBe(false);
    expect(isEmptyPlan(plan([desired("a")], [member("a")]))).toBe(true);
  });

  it("drainPlan drains and removes exactly the members it is given", () => {
    const a = member("a");
    const stray = member("x", { ecs_id: null });
    expect(drainPlan([a, stray])).toEqual({
      upserts: [],
      enable: [],
      removals: [
        { member: a, instanceId: "a", reason: "not_desired", drain: true },
        { member: stray, instanceId: undefined, reason: "not_desired", drain: true },
      ],
      unchanged: 0,
      needsAddress: [],
      needsMemberType: false,
      memberFor: new Map(),
      undated: [],
    });
    expect(isEmptyPlan(drainPlan([]))).toBe(true);
  });
});
