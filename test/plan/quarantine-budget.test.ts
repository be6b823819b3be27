import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { GroupInstance } from "../../src/cloud/autoscaling";
import {
  affordableBatch,
  budgetRefusal,
  groupBudgets,
  IN_FLIGHT_SECONDS,
  readBudget,
  recheckBatch,
} from "../../src/plan/quarantine-budget";

const T0 = Date.parse("2026-11-22T01:00:00Z");
const S0 = T0 / 1000;

function inst(id: string, life_cycle_state = "INSERVICE"): GroupInstance {
  return { instance_id: id, scaling_group_id: "asg-1", life_cycle_state, health_status: "NORMAL" };
}

describe("readBudget", () => {
  it("counts tagged instances in STANDBY or ENTERING_STANDBY whatever the tag's age, and fresh tags in service as quarantines in flight", () => {
    const instances = [
      inst("standby", "STANDBY"),
      inst("entering", "ENTERING_STANDBY"),
      inst("untagged-standby", "STANDBY"),
      inst("in-flight"),
      inst("just-ahead"),
      inst("leftover"),
      inst("garbled"),
      inst("far-future"),
      inst("pending", "PENDING"),
      inst("removing", "REMOVING_WAIT"),
    ];
    const tags = new Map([
      ["standby", String(S0 - 86_400)],
      ["entering", "garbled"],
      ["in-flight", String(S0 - IN_FLIGHT_SECONDS + 1)],
      ["just-ahead", String(S0 + 5)],
      ["leftover", String(S0 - IN_FLIGHT_SECONDS)],
      ["garbled", "soon"],
      ["far-future", String(S0 + 3600)],
      ["pending", String(S0)],
      ["removing", String(S0 - 3600)],
    ]);
    const reading = readBudget(instances, tags, T0);
    expect(reading.claims).toEqual([
      { instanceId: "standby", at: S0 - 86_400, standby: true },
      { instanceId: "entering", at: undefined, standby: true },
      { instanceId: "in-flight", at: S0 - IN_FLIGHT_SECONDS + 1, standby: false },
      { instanceId: "just-ahead", at: S0 + 5, standby: false },
    ]);
    expect(reading.stale).toEqual(["leftover", "garbled", "far-future"]);
  });
});

describe("tags ECS's answer left out", () => {
  it("leave the budget uncounted: nothing goes to standby", () => {
    const instances = [inst("i-1"), inst("s-1", "STANDBY"), inst("p-1", "PENDING")];
    const reading = readBudget(instances, new Map(), T0, new Set(["s-1", "p-1"]));
    expect(reading.unread).toEqual(["s-1"]);
    const budget = { maxInStandby: 5, cooldownSeconds: 0 };
    expect(budgetRefusal(reading, ["i-1"], budget, T0)).toBe("the tags of s-1 could not be read");
    const tags = new Map([["i-1", String(S0)]]);
    expect(recheckBatch(["i-1"], instances, tags, budget, T0, new Set(["s-1"])).go).toEqual([]);
  });
});

describe("budgetRefusal and affordableBatch", () => {
  const standby = (at: number) => readBudget([inst("s-1", "STANDBY")], new Map([["s-1", String(at)]]), T0);

  it("max_in_standby counts the claims and the batch together, an instance once", () => {
    const budget = { maxInStandby: 2, cooldownSeconds: 0 };
    expect(budgetRefusal(standby(S0 - 10), ["i-1"], budget, T0)).toBeUndefined();
    expect(budgetRefusal(standby(S0 - 10), ["i-1", "i-2"], budget, T0)).toBe(
      "max_in_standby (2) reached; in standby: s-1",
    );
    // Another invocation is quarantining i-1 too: the same instance, the same budget.
    const inFlight = readBudget([inst("i-1")], new Map([["i-1", String(S0)]]), T0);
    expect(budgetRefusal(inFlight, ["i-1", "i-2"], budget, T0)).toBeUndefined();
    expect(budgetRefusal(inFlight, ["i-2", "i-3"], budget, T0)).toBe(
      "max_in_standby (2) reached; in standby: none; being quarantined: i-1",
    );
  });

  it("cooldown_seconds runs from the latest claim outside the batch", () => {
    const budget = { maxInStandby: 5, cooldownSeconds: 600 };
    expect(budgetRefusal(standby(S0 - 599), ["i-1"], budget, T0)).toBe(
      "cooldown_seconds (600): the latest quarantine in the group began 2026-11-22T00:50:01Z",
    );
    expect(budgetRefusal(standby(S0 - 600), ["i-1"], budget, T0)).toBeUndefined();
    // A claim without a readable time holds budget but starts no cooldown.
    const garbled = readBudget([inst("s-1", "STANDBY")], new Map([["s-1", "x"]]), T0);
    expect(budgetRefusal(garbled, ["i-1"], budget, T0)).toBeUndefined();
  });

  it("affordableBatch takes the longest allowed prefix of the ranked candidates", () => {
    const budget = { maxInStandby: 3, cooldownSeconds: 0 };
    expect(affordableBatch(["a", "b", "c"], standby(S0 - 3600), budget, T0)).toEqual({
      batch: ["a", "b"],
      refusal: "max_in_standby (3) reached; in standby: s-1",
    });
    expect(affordableBatch(["a"], standby(S0 - 10), { maxInStandby: 1, cooldownSeconds: 0 }, T0)).toEqual({
      batch: [],
      refusal: "max_in_standby (1) reached; in standby: s-1",
    });
  });
});

describe("recheckBatch", () => {
  const budget = { maxInStandby: 1, cooldownSeconds: 600 };

  it("goes ahead when only its own fresh tags are there", () => {
    const tags = new Map([["i-1", String(S0)]]);
    expect(recheckBatch(["i-1"], [inst("i-1"), inst("i-2")], tags, budget, T0)).toEqual({
      go: ["i-1"],
      dropped: [],
      refusal: undefined,
    });
  });

  it("holds the whole batch back when another invocation's tag came first", () => {
    const tags = new Map([
      ["i-1", String(S0)],
      ["i-2", String(S0)],
    ]);
    expect(recheckBatch(["i-1"], [inst("i-1"), inst("i-2")], tags, budget, T0)).toEqual({
      go: [],
      dropped: ["i-1"],
      refusal: "max_in_standby (1) reached; in standby: none; being quarantined: i-1, i-2",
    });
  });

  it("drops instances no longer in service or whose tag is gone", () => {
    const roomy = { maxInStandby: 5, cooldownSeconds: 0 };
    const tags = new Map([
      ["i-1", String(S0)],
      ["i-3", String(S0)],
    ]);
    const instances = [inst("i-1"), inst("i-2"), inst("i-3", "REMOVING")];
    expect(recheckBatch(["i-1", "i-2", "i-3"], instances, tags, roomy, T0)).toEqual({
      go: ["i-1"],
      dropped: ["i-2", "i-3"],
      refusal: undefined,
    });
    expect(recheckBatch(["i-2"], instances, tags, roomy, T0).refusal).toBe(
      "no instance of the batch is still in service and tagged",
    );
  });
});

describe("groupBudgets", () => {
  it("takes the strictest settings of the bindings that name a group", () => {
    const ru = (max_in_standby: number, cooldown_seconds: number) => ({
      after_seconds: 300,
      max_per_run: 1,
      max_unhealthy_fraction: 0.5,
      max_in_standby,
      cooldown_seconds,
    });
    const budgets = groupBudgets([
      { scaling_group_id: "asg-1", replace_unhealthy: ru(3, 60) },
      { scaling_group_id: "asg-1", replace_unhealthy: ru(2, 30) },
      { scaling_group_id: "asg-1", replace_unhealthy: undefined },
      { scaling_group_id: "asg-2", replace_unhealthy: ru(5, 900) },
      { scaling_group_id: "asg-3", replace_unhealthy: undefined },
    ]);
    expect([...budgets]).toEqual([
      ["asg-1", { maxInStandby: 2, cooldownSeconds: 60 }],
      ["asg-2", { maxInStandby: 5, cooldownSeconds: 900 }],
    ]);
  });
});

/**
 * The protocol on its own, over every interleaving: each invocation tags its batch, re-counts on what
 * is there at that moment, and acts only when recheckBatch lets it; AS moves a batch all or nothing.
 * Whatever the order, the group never holds more than max_in_standby quarantined instances, and with a
 * cooldown at most one batch moves.
 */
describe("property: tag, re-count, act under any interleaving", () => {
  const POOL = ["i-0", "i-1", "i-2", "i-3", "i-4", "i-5"];
  const scenario = fc.record({
    maxInStandby: fc.integer({ min: 1, max: 3 }),
    cooldownSeconds: fc.constantFrom(0, 600),
    alreadyInStandby: fc.integer({ min: 0, max: 1 }),
    batches: fc.array(fc.uniqueArray(fc.constantFrom(...POOL.slice(1)), { minLength: 1, maxLength: 2 }), {
      minLength: 2,
      maxLength: 3,
    }),
    order: fc.array(fc.nat(), { minLength: 9, maxLength: 9 }),
  });

  it("never exceeds max_in_standby, never two moves within cooldown_seconds", () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const budget = { maxInStandby: s.maxInStandby, cooldownSeconds: s.cooldownSeconds };
        const state = new Map(POOL.map((id) => [id, "INSERVICE"]));
        const tags = new Map<string, string>();
        if (s.alreadyInStandby) {
          state.set("i-0", "STANDBY");
          tags.set("i-0", String(S0 - 7200));
        }
        const runs = s.batches.map((batch) => ({ batch, step: 0, go: [] as string[] }));
        let moves = 0;
        // Each run makes three steps (tag, re-count, act) in its own order; `order` merges them.
        for (let k = 0; runs.some((r) => r.step < 3); k++) {
          const live = runs.filter((r) => r.step < 3);
          const run = live[s.order[k % s.order.length]! % live.length]!;
          if (run.step === 0) for (const id of run.batch) tags.set(id, String(S0));
          if (run.step === 1) {
            const instances = [...state].map(([id, st]) => inst(id, st));
            run.go = recheckBatch(run.batch, instances, tags, budget, T0).go;
          }
          if (run.step === 2 && run.go.length > 0 && run.go.every((id) => state.get(id) === "INSERVICE")) {
            for (const id of run.go) state.set(id, "STANDBY");
            moves += 1;
          }
          run.step += 1;
        }
        const quarantined = [...state].filter(([id, st]) => st === "STANDBY" && tags.has(id));
        expect(quarantined.length).toBeLessThanOrEqual(Math.max(s.maxInStandby, s.alreadyInStandby));
        if (s.cooldownSeconds > 0) expect(moves).toBeLessThanOrEqual(1);
      }),
      { numRuns: 2_000 },
    );
  });
});
