import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { GroupInstance } from "../../src/cloud/autoscaling";
import {
  affordableBatch,
  budgetRefusal,
  groupBudgets,
  movedSinceRemoval,
  readBudget,
  recheckBatch,
} from "../../src/plan/quarantine-budget";

const T0 = Date.parse("2026-11-22T01:00:00Z");
const S0 = T0 / 1000;
const BUDGET_1 = { maxInStandby: 1, cooldownSeconds: 600 };

function inst(id: string, life_cycle_state = "INSERVICE"): GroupInstance {
  return { instance_id: id, scaling_group_id: "asg-1", life_cycle_state, health_status: "NORMAL" };
}

describe("readBudget", () => {
  it("counts tagged instances in STANDBY or ENTERING_STANDBY whatever the tag's age; a tag on an instance in service is a leftover, however fresh", () => {
    const instances = [
      inst("standby", "STANDBY"),
      inst("entering", "ENTERING_STANDBY"),
      inst("untagged-standby", "STANDBY"),
      inst("fresh"),
      inst("just-ahead"),
      inst("old"),
      inst("garbled"),
      inst("untagged"),
      inst("pending", "PENDING"),
      inst("removing", "REMOVING_WAIT"),
    ];
    const tags = new Map([
      ["standby", String(S0 - 86_400)],
      ["entering", "garbled"],
      ["fresh", String(S0)],
      ["just-ahead", String(S0 + 5)],
      ["old", String(S0 - 3600)],
      ["garbled", "soon"],
      ["pending", String(S0)],
      ["removing", String(S0 - 3600)],
    ]);
    const reading = readBudget(instances, tags);
    expect(reading.claims).toEqual([
      { instanceId: "standby", at: S0 - 86_400, standby: true },
      { instanceId: "entering", at: undefined, standby: true },
    ]);
    expect(reading.leftovers).toEqual(["fresh", "just-ahead", "old", "garbled"]);
    // A fresh tag in service neither fills the budget nor starts a cooldown.
    expect(budgetRefusal(readBudget([inst("fresh")], tags), ["i-1"], BUDGET_1, T0)).toBeUndefined();
  });
});

describe("tags ECS's answer left out", () => {
  it("leave the budget uncounted: nothing goes to standby", () => {
    const instances = [inst("i-1"), inst("s-1", "STANDBY"), inst("p-1", "PENDING")];
    const reading = readBudget(instances, new Map(), new Set(["s-1", "p-1"]));
    expect(reading.unread).toEqual(["s-1"]);
    const budget = { maxInStandby: 5, cooldownSeconds: 0 };
    expect(budgetRefusal(reading, ["i-1"], budget, T0)).toBe("the tags of s-1 could not be read");
    const tags = new Map([["i-1", String(S0)]]);
    expect(recheckBatch(["i-1"], instances, tags, new Map(), budget, T0, new Set(["s-1"])).go).toEqual([]);
  });

  it("names every instance in service or in standby whose tags are missing", () => {
    const instances = [inst("i-1"), inst("s-1", "ENTERING_STANDBY"), inst("p-1", "PENDING")];
    const reading = readBudget(instances, new Map(), new Set(["i-1", "s-1", "p-1"]));
    expect(reading.unread).toEqual(["i-1", "s-1"]);
    expect(budgetRefusal(reading, ["i-9"], { maxInStandby: 5, cooldownSeconds: 0 }, T0)).toBe(
      "the tags of i-1, s-1 could not be read",
    );
  });
});

describe("budgetRefusal and affordableBatch", () => {
  const standby = (at: number) => readBudget([inst("s-1", "STANDBY")], new Map([["s-1", String(at)]]));

  it("max_in_standby counts the claims and the batch together, an instance once", () => {
    const budget = { maxInStandby: 2, cooldownSeconds: 0 };
    expect(budgetRefusal(standby(S0 - 10), ["i-1"], budget, T0)).toBeUndefined();
    expect(budgetRefusal(standby(S0 - 10), ["i-1", "i-2"], budget, T0)).toBe(
      "max_in_standby (2) reached; in standby: s-1",
    );
    // Another invocation is quarantining i-1 too: the same instance, the same budget.
    const inFlight = { claims: [{ instanceId: "i-1", at: S0, standby: false }], leftovers: [], unread: [] };
    expect(budgetRefusal(inFlight, ["i-1", "i-2"], budget, T0)).toBeUndefined();
    expect(budgetRefusal(inFlight, ["i-2", "i-3"], budget, T0)).toBe(
      "max_in_standby (2) reached; in standby: none; being quarantined: i-1",
    );
  });

  it("names every claim when max_in_standby is reached", () => {
    const reading = readBudget(
      [inst("s-1", "STANDBY"), inst("s-2", "ENTERING_STANDBY")],
      new Map([
        ["s-1", String(S0 - 3600)],
        ["s-2", String(S0 - 3600)],
      ]),
    );
    reading.claims.push(
      { instanceId: "i-1", at: S0, standby: false },
      { instanceId: "i-2", at: S0, standby: false },
    );
    expect(budgetRefusal(reading, ["i-3"], { maxInStandby: 4, cooldownSeconds: 0 }, T0)).toBe(
      "max_in_standby (4) reached; in standby: s-1, s-2; being quarantined: i-1, i-2",
    );
  });

  it("reads a claim's time only from a tag of nothing but digits", () => {
    const instances = ["s-1", "s-2", "s-3"].map((id) => inst(id, "STANDBY"));
    const tags = new Map([
      ["s-1", `${S0}x`],
      ["s-2", `x${S0}`],
      ["s-3", String(S0 - 700)],
    ]);
    expect(readBudget(instances, tags).claims.map((c) => c.at)).toEqual([undefined, undefined, S0 - 700]);
  });

  it("cooldown_seconds runs from the latest claim outside the batch", () => {
    const budget = { maxInStandby: 5, cooldownSeconds: 600 };
    expect(budgetRefusal(standby(S0 - 599), ["i-1"], budget, T0)).toBe(
      "cooldown_seconds (600): the latest quarantine in the group began 2026-11-22T00:50:01Z",
    );
    expect(budgetRefusal(standby(S0 - 600), ["i-1"], budget, T0)).toBeUndefined();
    // A claim without a readable time holds budget but starts no cooldown.
    const garbled = readBudget([inst("s-1", "STANDBY")], new Map([["s-1", "x"]]));
    expect(budgetRefusal(garbled, ["i-1"], budget, T0)).toBeUndefined();
  });

  it("cooldown_seconds: a claim without a readable time does not hide a recent one, and the batch's own claim starts none", () => {
    const budget = { maxInStandby: 5, cooldownSeconds: 600 };
    const reading = readBudget(
      [inst("s-1", "STANDBY"), inst("s-2", "STANDBY")],
      new Map([
        ["s-1", "x"],
        ["s-2", String(S0 - 60)],
      ]),
    );
    expect(budgetRefusal(reading, ["i-1"], budget, T0)).toBe(
      "cooldown_seconds (600): the latest quarantine in the group began 2026-11-22T00:59:00Z",
    );
    const own = { claims: [{ instanceId: "i-1", at: S0 - 60, standby: false }], leftovers: [], unread: [] };
    expect(budgetRefusal(own, ["i-1"], budget, T0)).toBeUndefined();
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
    // No candidate, nothing that waits: no refusal to report, whatever the budget says.
    const unread = readBudget([inst("s-1", "STANDBY")], new Map(), new Set(["s-1"]));
    expect(affordableBatch([], unread, budget, T0)).toEqual({ batch: [], refusal: undefined });
  });
});

describe("recheckBatch", () => {
  const budget = BUDGET_1;
  const NOTHING_SEEN = new Map<string, string>();

  it("goes ahead when only its own tags are there", () => {
    const tags = new Map([["i-1", String(S0)]]);
    expect(recheckBatch(["i-1"], [inst("i-1"), inst("i-2")], tags, NOTHING_SEEN, budget, T0)).toEqual({
      go: ["i-1"],
      dropped: [],
      refusal: undefined,
    });
  });

  it("counts a tag on an instance in service that the first read did not show: another invocation's quarantine in flight", () => {
    const tags = new Map([
      ["i-1", String(S0)],
      ["i-2", String(S0)],
    ]);
    expect(recheckBatch(["i-1"], [inst("i-1"), inst("i-2")], tags, NOTHING_SEEN, budget, T0)).toEqual({
      go: [],
      dropped: ["i-1"],
      refusal: "max_in_standby (1) reached; in standby: none; being quarantined: i-2",
    });
    // Shown by the first read with another value: written again since, by another quarantine.
    const before = new Map([["i-2", String(S0 - 900)]]);
    expect(recheckBatch(["i-1"], [inst("i-1"), inst("i-2")], tags, before, budget, T0).go).toEqual([]);
    // And it starts the cooldown.
    const roomy = { maxInStandby: 5, cooldownSeconds: 600 };
    expect(recheckBatch(["i-1"], [inst("i-1"), inst("i-2")], tags, NOTHING_SEEN, roomy, T0).refusal).toBe(
      "cooldown_seconds (600): the latest quarantine in the group began 2026-11-22T01:00:00Z",
    );
  });

  it("does not count a tag the first read showed with the same value, nor one on an instance of the batch", () => {
    const tags = new Map([
      ["i-1", String(S0)],
      ["i-2", String(S0 - 5)],
      ["i-3", "garbled"],
    ]);
    const seen = new Map([
      ["i-2", String(S0 - 5)],
      ["i-3", "garbled"],
    ]);
    const instances = [inst("i-1"), inst("i-2"), inst("i-3")];
    expect(recheckBatch(["i-1"], instances, tags, seen, budget, T0).go).toEqual(["i-1"]);
    // Another invocation chose i-1 too and tagged it with its own value: the same quarantine.
    const both = new Map([["i-1", String(S0 + 1)]]);
    expect(recheckBatch(["i-1"], [inst("i-1")], both, NOTHING_SEEN, budget, T0).go).toEqual(["i-1"]);
  });

  it("counts a tagged instance in standby whatever the first read showed", () => {
    const tags = new Map([
      ["i-1", String(S0)],
      ["i-2", String(S0 - 3600)],
    ]);
    const seen = new Map([["i-2", String(S0 - 3600)]]);
    expect(recheckBatch(["i-1"], [inst("i-1"), inst("i-2", "STANDBY")], tags, seen, budget, T0).refusal).toBe(
      "max_in_standby (1) reached; in standby: i-2",
    );
  });

  it("drops instances no longer in service or whose tag is gone", () => {
    const roomy = { maxInStandby: 5, cooldownSeconds: 0 };
    const tags = new Map([
      ["i-1", String(S0)],
      ["i-3", String(S0)],
    ]);
    const instances = [inst("i-1"), inst("i-2"), inst("i-3", "REMOVING")];
    expect(recheckBatch(["i-1", "i-2", "i-3"], instances, tags, NOTHING_SEEN, roomy, T0)).toEqual({
      go: ["i-1"],
      dropped: ["i-2", "i-3"],
      refusal: undefined,
    });
    expect(recheckBatch(["i-2"], instances, tags, NOTHING_SEEN, roomy, T0).refusal).toBe(
      "no instance of the batch is still in service and tagged",
    );
    // One gone from the group altogether (terminated since the first read) leaves the batch too.
    expect(recheckBatch(["i-1", "i-gone"], instances, tags, NOTHING_SEEN, roomy, T0)).toEqual({
      go: ["i-1"],
      dropped: ["i-gone"],
      refusal: undefined,
    });
  });
});

describe("movedSinceRemoval", () => {
  it("names the instances whose tag was removed and that are in standby now", () => {
    const now = [
      inst("i-1", "ENTERING_STANDBY"),
      inst("i-2"),
      inst("i-3", "STANDBY"),
      inst("i-4", "STANDBY"),
    ];
    expect(movedSinceRemoval(["i-1", "i-2", "i-3", "i-9"], now)).toEqual(["i-1", "i-3"]);
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
 * The protocol on its own, over interleavings of two or three invocations. Each makes seven steps, in
 * its own order: first read (the decision, cut to the budget), removal of the tags it found on instances
 * in service outside its batch, tags, re-count listing (putting back the tags it removed from instances
 * now in standby), re-count tag read, ENTER_STANDBY (AS moves a batch all or nothing), tags again.
 */
const POOL = ["i-0", "i-1", "i-2", "i-3", "i-4", "i-5"];
/** The largest batch an invocation proposes: max_per_run in the model. */
const MAX_BATCH = 2;

interface Model {
  maxInStandby: number;
  cooldownSeconds: number;
  /** i-0 is in standby, quarantined (and tagged) long ago. */
  alreadyInStandby: number;
  /** An instance in service carrying a tag from a crash between tag and standby. */
  leftover: string | undefined;
  /** What each invocation would like to quarantine, most urgent first. */
  batches: string[][];
}

interface ModelRun {
  want: string[];
  step: number;
  batch: string[];
  seen: Map<string, string>;
  leftovers: string[];
  removed: string[];
  listing: GroupInstance[];
  go: string[];
  acted: boolean;
  /** Its first read found a tag on an instance in service. */
  sawInService: boolean;
}

function simulate(m: Model, next: (live: ModelRun[], k: number) => ModelRun) {
  const budget = { maxInStandby: m.maxInStandby, cooldownSeconds: m.cooldownSeconds };
  const state = new Map(POOL.map((id) => [id, "INSERVICE"]));
  const tags = new Map<string, string>();
  if (m.alreadyInStandby) {
    state.set("i-0", "STANDBY");
    tags.set("i-0", String(S0 - 7200));
  }
  if (m.leftover) tags.set(m.leftover, String(S0 - 30));
  const listing = () => [...state].map(([id, st]) => inst(id, st));
  const runs: ModelRun[] = m.batches.map((want) => ({
    want,
    step: 0,
    batch: [],
    seen: new Map(),
    leftovers: [],
    removed: [],
    listing: [],
    go: [],
    acted: false,
    sawInService: false,
  }));
  const moved: string[][] = [];
  for (let k = 0; runs.some((r) => r.step < 7); k++) {
    const run = next(
      runs.filter((r) => r.step < 7),
      k,
    );
    switch (run.step) {
      case 0: {
        const reading = readBudget(listing(), tags);
        run.sawInService = reading.leftovers.length > 0;
        run.batch = affordableBatch(run.want, reading, budget, T0).batch;
        run.seen = new Map(tags);
        run.leftovers = reading.leftovers.filter((id) => !run.batch.includes(id));
        break;
      }
      case 1:
        for (const id of run.leftovers) {
          tags.delete(id);
          run.seen.delete(id);
          run.removed.push(id);
        }
        break;
      case 2:
        for (const id of run.batch) tags.set(id, String(S0));
        break;
      case 3:
        run.listing = listing();
        for (const id of movedSinceRemoval(run.removed, run.listing)) tags.set(id, String(S0));
        break;
      case 4:
        if (run.batch.length > 0)
          run.go = recheckBatch(run.batch, run.listing, new Map(tags), run.seen, budget, T0).go;
        break;
      case 5:
        if (run.go.length > 0 && run.go.every((id) => state.get(id) === "INSERVICE")) {
          for (const id of run.go) state.set(id, "STANDBY");
          run.acted = true;
          moved.push(run.go);
        }
        break;
      case 6:
        if (run.acted) for (const id of run.go) tags.set(id, String(S0));
        break;
    }
    run.step += 1;
  }
  const quarantined = [...state].filter(([id, st]) => st === "STANDBY" && tags.has(id)).map(([id]) => id);
  return { runs, moved, quarantined, untagged: moved.flat().filter((id) => !tags.has(id)) };
}

/** The bound docs/replacement-budget.md states: one batch more than max_in_standby per other batch. */
const bound = (m: Model, moves: number) =>
  Math.max(m.alreadyInStandby, m.maxInStandby + Math.max(0, moves - 1) * Math.min(MAX_BATCH, m.maxInStandby));

describe("the residual race", () => {
  it("O tags, M's first read takes O's tag for a leftover, O re-counts before M's tags, M re-counts before O's ENTER_STANDBY: both go ahead, one more than max_in_standby, each tagged", () => {
    const m: Model = {
      maxInStandby: 1,
      cooldownSeconds: 600,
      alreadyInStandby: 0,
      leftover: undefined,
      batches: [["i-1"], ["i-2"]],
    };
    // O: read, remove, tag; M: read; O: list, re-count; M: remove, tag, list, re-count; O then M: act, tag again.
    const schedule = [0, 0, 0, 1, 0, 0, 1, 1, 1, 1, 0, 0, 1, 1];
    const result = simulate(m, (live, k) => live.find((r) => r.want === m.batches[schedule[k]!])!);
    expect(result.moved).toEqual([["i-1"], ["i-2"]]);
    expect(result.quarantined).toEqual(["i-1", "i-2"]);
    expect(result.quarantined.length).toBe(bound(m, 2));
    expect(result.untagged).toEqual([]);
  });

  it("three invocations, each taking the previous one's tag for a leftover: max_in_standby plus one per other batch", () => {
    const m: Model = {
      maxInStandby: 1,
      cooldownSeconds: 0,
      alreadyInStandby: 0,
      leftover: undefined,
      batches: [["i-1"], ["i-2"], ["i-3"]],
    };
    // O1: read, remove, tag; O2: read; O1: list, re-count; O2: remove, tag; M: read; O2: list, re-count;
    // M: remove, tag, list, re-count; then each acts and tags again.
    const schedule = [0, 0, 0, 1, 0, 0, 1, 1, 2, 1, 1, 2, 2, 2, 2, 0, 0, 1, 1, 2, 2];
    const result = simulate(m, (live, k) => live.find((r) => r.want === m.batches[schedule[k]!])!);
    expect(result.moved).toEqual([["i-1"], ["i-2"], ["i-3"]]);
    expect(result.quarantined.length).toBe(3);
    expect(result.quarantined.length).toBe(bound(m, 3));
    expect(result.untagged).toEqual([]);
  });
});

describe("property: first read, tag, re-count, act under any interleaving", () => {
  const scenario = fc.record({
    maxInStandby: fc.integer({ min: 1, max: 3 }),
    cooldownSeconds: fc.constantFrom(0, 600),
    alreadyInStandby: fc.integer({ min: 0, max: 1 }),
    leftover: fc.option(fc.constantFrom(...POOL.slice(1)), { nil: undefined, freq: 3 }),
    batches: fc.array(
      fc.uniqueArray(fc.constantFrom(...POOL.slice(1)), { minLength: 1, maxLength: MAX_BATCH }),
      { minLength: 2, maxLength: 3 },
    ),
    order: fc.array(fc.nat(), { minLength: 21, maxLength: 21 }),
  });
  const play = (s: Model & { order: number[] }) =>
    simulate(s, (live, k) => live[s.order[k % s.order.length]! % live.length]!);

  it("never exceeds the documented bound, and every instance moved to standby ends tagged", () => {
    let beyond = 0;
    fc.assert(
      fc.property(scenario, (s) => {
        const { moved, quarantined, untagged } = play(s);
        expect(untagged).toEqual([]);
        expect(quarantined.length).toBeLessThanOrEqual(bound(s, moved.length));
        if (quarantined.length > Math.max(s.maxInStandby, s.alreadyInStandby)) beyond += 1;
      }),
      { numRuns: 3_000 },
    );
    // The race is reachable in the model: the bound is what holds, not max_in_standby.
    expect(beyond).toBeGreaterThan(0);
  });

  it("when no first read finds a tag on an instance in service, never exceeds max_in_standby, and with a cooldown moves one batch at most", () => {
    let simultaneous = 0;
    fc.assert(
      fc.property(scenario, (s) => {
        const { runs, moved, quarantined } = play(s);
        if (runs.some((r) => r.sawInService)) return;
        simultaneous += 1;
        expect(quarantined.length).toBeLessThanOrEqual(Math.max(s.maxInStandby, s.alreadyInStandby));
        if (s.cooldownSeconds > 0) expect(moved.length).toBeLessThanOrEqual(1);
      }),
      { numRuns: 3_000 },
    );
    expect(simultaneous).toBeGreaterThan(300);
  });
});
