import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Member } from "../../src/cloud/gateway";
import type { DesiredMember } from "../../src/plan/desired";
import { planTarget } from "../../src/plan/plan-members";
import {
  gatewayTimeMs,
  healthHolds,
  memberAgeMs,
  rampWeight,
  SLOW_START_STEPS,
  startWeight,
  stepAt,
  stepWeight,
} from "../../src/plan/slow-start";

const T0 = Date.parse("2026-06-01T00:00:00Z");
const iso = (ms: number) => new Date(ms).toISOString();

describe("the ramp's steps", () => {
  it.each([
    [0, [0, 0, 0, 0, 0, 0]],
    [1, [1, 1, 1, 1, 1, 1]],
    [2, [1, 1, 1, 1, 1, 2]],
    [10, [1, 2, 4, 6, 8, 10]],
    [15, [2, 4, 7, 9, 12, 15]],
    [100, [10, 28, 46, 64, 82, 100]],
    [10000, [1000, 2800, 4600, 6400, 8200, 10000]],
  ])("weight %i: steps 0…5 are %j", (weight, steps) => {
    expect(Array.from({ length: SLOW_START_STEPS + 1 }, (_, k) => stepWeight(weight, k))).toEqual(steps);
    expect(stepWeight(weight, 0)).toBe(startWeight(weight));
  });

  it("starts at a tenth of the weight, rounded up, at least 1; 0 stays 0", () => {
    expect([0, 1, 9, 10, 11, 99, 100, 101].map(startWeight)).toEqual([0, 1, 1, 1, 2, 10, 10, 11]);
  });

  it("steps at every fifth of the window, the last one when the window is over", () => {
    const window = 300;
    expect(
      [0, 59_999, 60_000, 119_999, 120_000, 240_000, 299_999, 300_000, 9e9].map((a) => stepAt(a, window)),
    ).toEqual([0, 0, 1, 1, 2, 4, 4, 5, 5]);
  });

  it("is never above the straight line from the start weight to the weight (every weight, every millisecond of a step's start)", () => {
    for (let weight = 0; weight <= 2000; weight += 1) {
      const start = startWeight(weight);
      for (let k = 0; k <= SLOW_START_STEPS; k += 1) {
        // The line at the step's start: the lowest the line is while the step holds.
        const line = start + ((weight - start) * k) / SLOW_START_STEPS;
        expect(stepWeight(weight, k)).toBeLessThanOrEqual(line);
        if (k > 0) expect(stepWeight(weight, k)).toBeGreaterThanOrEqual(stepWeight(weight, k - 1));
      }
      expect(stepWeight(weight, SLOW_START_STEPS)).toBe(weight);
      expect(stepWeight(weight, SLOW_START_STEPS + 1)).toBe(weight);
    }
  });
});

describe("a member's age, from its create_time as the gateway writes it", () => {
  it.each([
    ["2020-07-23T09:13:24Z", Date.UTC(2020, 6, 23, 9, 13, 24)],
    ["2020-07-23T09:13:24.5Z", Date.UTC(2020, 6, 23, 9, 13, 24, 500)],
    ["2020-07-23T07:11:57.244829604Z", Date.UTC(2020, 6, 23, 7, 11, 57, 244)],
    ["2020-07-23T17:13:24+08:00", Date.UTC(2020, 6, 23, 9, 13, 24)],
    ["2020-07-23T01:13:24-0800", Date.UTC(2020, 6, 23, 9, 13, 24)],
    ["2020-07-23 09:13:24", Date.UTC(2020, 6, 23, 9, 13, 24)],
    ["2020-07-23T09:13:24", Date.UTC(2020, 6, 23, 9, 13, 24)],
    ["2020-07-23T14:43:59+05:30", Date.UTC(2020, 6, 23, 9, 13, 59)],
    [" 2020-07-23T09:13:24Z\n", Date.UTC(2020, 6, 23, 9, 13, 24)],
    ["2020-07-23t09:13:24z", Date.UTC(2020, 6, 23, 9, 13, 24)],
    ["2020-07-23T09:13:24+00:00", Date.UTC(2020, 6, 23, 9, 13, 24)],
    ["2020-07-23T09:13:24-00:30", Date.UTC(2020, 6, 23, 9, 43, 24)],
  ])("reads %j (no offset: UTC)", (text, ms) => {
    expect(gatewayTimeMs(text)).toBe(ms);
  });

  it.each([
    "",
    "yesterday",
    "2020-02-30T00:00:00Z",
    "2020-13-15T00:00:00Z",
    "2020-07-23T25:00:00Z",
    "2020-07-23T10:60:00Z",
    "2020-07-23T10:00:60Z",
    "1595495604",
    "2020-07-23",
    "12020-07-23T09:13:24Z",
    "2020-07-23T09:13:24Z and more",
    "2020-07-23T09:13:24+08",
  ])("cannot read %j", (text) => {
    expect(gatewayTimeMs(text)).toBeUndefined();
  });

  it("a time ahead of our clock by at most the window is drift: the member is new; further ahead, or missing, it cannot say", () => {
    expect(memberAgeMs(iso(T0 - 5_000), T0, 60)).toBe(5_000);
    expect(memberAgeMs(iso(T0 + 60_000), T0, 60)).toBe(0);
    expect(memberAgeMs(iso(T0 + 60_001), T0, 60)).toBeUndefined();
    expect(memberAgeMs(undefined, T0, 60)).toBeUndefined();
    expect(memberAgeMs(null, T0, 60)).toBeUndefined();
    expect(memberAgeMs("soon", T0, 60)).toBeUndefined();
  });
});

describe("rampWeight: the weight a listed member should have now", () => {
  const at = (ageSeconds: number, over: Partial<Parameters<typeof rampWeight>[0]> = {}) =>
    rampWeight({
      weight: 10,
      windowSeconds: 100,
      current: 1,
      createTime: iso(T0 - ageSeconds * 1000),
      now: T0,
      held: false,
      ...over,
    });

  it("rises with the window's fifths and ends at the weight", () => {
    expect([0, 19, 20, 45, 60, 99, 100, 5000].map((s) => at(s).weight)).toEqual([1, 1, 2, 4, 6, 8, 10, 10]);
    expect(at(45)).toEqual({ weight: 4, step: 2, undated: false });
  });

  it("does not apply with no window, or a weight of 0 or 1", () => {
    expect(at(0, { windowSeconds: 0 })).toEqual({ weight: 10, step: undefined, undated: false });
    expect(at(0, { weight: 0, current: 0 })).toEqual({ weight: 0, step: undefined, undated: false });
    expect(at(0, { weight: 1 })).toEqual({ weight: 1, step: undefined, undated: false });
  });

  it("never lowers a member within its window; one above the binding's weight is brought down to it", () => {
    expect(at(20, { current: 7 }).weight).toBe(7);
    expect(at(20, { current: 10 }).weight).toBe(10);
    expect(at(20, { current: 50 })).toEqual({ weight: 10, step: undefined, undated: false });
  });

  it("holds a member the gateway does not report healthy at its start, then takes the current step at once", () => {
    expect(at(70, { held: true }).weight).toBe(1);
    expect(at(70, { held: true, current: 4 }).weight).toBe(4);
    expect(at(70, { held: true, createTime: undefined })).toEqual({ weight: 1, step: 0, undated: false });
    expect(at(70, { held: false }).weight).toBe(6);
  });

  it("gives a member whose age cannot be told its weight, and says so", () => {
    expect(at(0, { createTime: undefined })).toEqual({ weight: 10, step: SLOW_START_STEPS, undated: true });
    expect(at(0, { createTime: iso(T0 + 3_600_000) })).toEqual({ weight: 10, step: 5, undated: true });
    expect(at(0, { createTime: iso(T0 + 50_000) }).weight).toBe(1);
  });
});

describe("healthHolds", () => {
  it.each([
    [undefined, false, false],
    [null, true, false],
    ["healthy", true, false],
    ["unhealthy", false, true],
    ["unhealthy", true, true],
    ["unknown", false, false],
    ["unknown", true, true],
  ] as const)("health %s on a channel that checks health: %s → held %s", (health, checked, held) => {
    expect(healthHolds(health, checked)).toBe(held);
  });
});

/**
 * The ramp through the planner, as runs would apply it: members appear at random times (added by the
 * first run after), runs of two invocations come at random times with their own clocks, and between
 * runs the gateway may report any member's health any way. Each run reads the members, plans and
 * applies its upserts as the gateway would (an add is stamped with the gateway's clock).
 */
describe("slow start across runs (property)", () => {
  interface World {
    weight: number;
    window: number;
    /** When each instance appears, ms after T0. */
    appear: number[];
    /** Runs: when (ms after T0), whose (invocation A or B), and the health the gateway reports then. */
    runs: { at: number; by: 0 | 1; health: ("healthy" | "unhealthy" | "unknown" | undefined)[] }[];
    /** Each invocation's clock, minus the gateway's (ms). */
    skew: [number, number];
    healthChecked: boolean;
  }

  const HEALTH = fc.constantFrom("healthy", "unhealthy", "unknown", undefined);
  const world: fc.Arbitrary<World> = fc
    .record({
      weight: fc.oneof(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 10000 })),
      window: fc.integer({ min: 1, max: 3600 }),
      members: fc.integer({ min: 1, max: 4 }),
      healthChecked: fc.boolean(),
    })
    .chain(({ weight, window, members, healthChecked }) => {
      const horizon = window * 1000 * 3;
      return fc.record({
        weight: fc.constant(weight),
        window: fc.constant(window),
        healthChecked: fc.constant(healthChecked),
        appear: fc.array(fc.integer({ min: 0, max: horizon / 2 }), {
          minLength: members,
          maxLength: members,
        }),
        runs: fc.array(
          fc.record({
            at: fc.integer({ min: 0, max: horizon }),
            by: fc.constantFrom(0 as const, 1 as const),
            health: fc.array(HEALTH, { minLength: members, maxLength: members }),
          }),
          { maxLength: 40 },
        ),
        // Drift between the function's and the gateway's clocks: well under a step, either way.
        skew: fc.tuple(fc.integer({ min: -500, max: 500 }), fc.integer({ min: -500, max: 500 })),
      });
    });

  const desiredOf = (id: string, weight: number, window: number): DesiredMember => ({
    ecs_id: id,
    ecs_name: id,
    weight,
    slow_start_seconds: window,
    is_backup: false,
    port: undefined,
    member_group_name: "web",
    scaling_group_id: "asg-1",
    life_cycle_state: "INSERVICE",
  });

  it("never lowers a weight, never passes the weight or the line, raises no held member, at most 5 times, writes nothing once ramped, and two invocations agree", () => {
    fc.assert(
      fc.property(world, (w) => {
        const ids = w.appear.map((_, i) => `i-${i}`);
        const members = new Map<string, Member & { created: number }>();
        const raises = new Map<string, number>();
        const start = startWeight(w.weight);
        const windowMs = w.window * 1000;
        const runs = [...w.runs].sort((a, b) => a.at - b.at || a.by - b.by);
        for (const run of runs) {
          const now = T0 + run.at + w.skew[run.by];
          for (const [i, id] of ids.entries()) {
            const m = members.get(id);
            if (m) m.health_status = run.health[i] ?? null;
          }
          const desired = ids
            .filter((_, i) => w.appear[i]! <= run.at)
            .map((id) => desiredOf(id, w.weight, w.window));
          const input = {
            desired,
            actual: [...members.values()],
            memberType: "ecs" as const,
            ips: new Map(),
            now,
            healthChecked: w.healthChecked,
          };
          const plan = planTarget(input);
          // The other invocation, reading the same members at the same moment of its own clock, plans
          // exactly the same writes: the weight is a function of (create_time, now, weight, window).
          expect(planTarget({ ...input, actual: structuredClone(input.actual) })).toEqual(plan);
          for (const u of plan.upserts) {
            const id = u.desired.ecs_id;
            const m = members.get(id);
            if (u.kind === "add") {
              expect(m).toBeUndefined();
              expect(u.weight).toBe(w.weight > 1 ? start : w.weight);
              members.set(id, {
                id: `m-${id}`,
                ecs_id: id,
                ecs_name: id,
                is_backup: false,
                weight: u.weight,
                created: T0 + run.at,
                create_time: iso(T0 + run.at),
                status: 1,
              });
              continue;
            }
            // Only weights change here, and only ever up, toward the weight: each a ramp step, never of
            // a member the gateway does not call healthy where it checks health.
            expect(u.kind).toBe("ramp");
            expect(healthHolds(m!.health_status, w.healthChecked)).toBe(false);
            expect(u.changes).toEqual(["weight"]);
            expect(u.weight).toBeGreaterThan(m!.weight!);
            expect(u.weight).toBeLessThanOrEqual(w.weight);
            // On or under the line, on the writer's own clock.
            const age = Math.max(0, now - m!.created);
            const line = age >= windowMs ? w.weight : start + ((w.weight - start) * age) / windowMs;
            expect(u.weight).toBeLessThanOrEqual(line);
            m!.weight = u.weight;
            raises.set(id, (raises.get(id) ?? 0) + 1);
            expect(raises.get(id)).toBeLessThanOrEqual(SLOW_START_STEPS);
          }
          // Once its window is over on this clock and the gateway does not hold it back, a member has its
          // weight; one at its weight is left alone for good.
          for (const [i, id] of ids.entries()) {
            const m = members.get(id);
            const held = healthHolds(run.health[i], w.healthChecked);
            if (m && now - m.created >= windowMs && !held) expect(m.weight).toBe(w.weight);
          }
          // A run within the same step writes nothing (a member just added may already be a step on,
          // by the drift between the gateway's clock that stamped it and ours).
          const added = new Set(plan.upserts.filter((u) => u.kind === "add").map((u) => u.desired.ecs_id));
          const again = planTarget({ ...input, actual: [...members.values()] });
          expect(again.upserts.filter((u) => !added.has(u.desired.ecs_id))).toEqual([]);
        }
      }),
      { numRuns: 300 },
    );
  });
});
