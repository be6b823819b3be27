import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { GroupInstance } from "../../src/cloud/autoscaling";
import type { Member } from "../../src/cloud/gateway";
import { ReplaceUnhealthySchema } from "../../src/config/schema";
import {
  bindingMembers,
  decideQuarantine,
  parseSince,
  type QuarantineInput,
  UNHEALTHY_SINCE_TAG,
} from "../../src/plan/decide-quarantine";
import { type GroupBudget, QUARANTINED_AT_TAG, readBudget } from "../../src/plan/quarantine-budget";

const T0 = Date.parse("2026-11-22T01:00:00Z");
const settings = ReplaceUnhealthySchema().parse({ after_seconds: 300 });
const secs = (ms: number) => Math.floor(ms / 1000);

function member(id: string, health: string, over: Partial<Member> = {}): Member {
  return {
    id: `m-${id}`,
    ecs_id: id,
    health_status: health,
    status: 1,
    create_time: new Date(T0 - 3_600_000).toISOString(),
    ...over,
  };
}

function inst(id: string, over: Partial<GroupInstance> = {}): GroupInstance {
  return {
    instance_id: id,
    scaling_group_id: "asg-1",
    life_cycle_state: "INSERVICE",
    health_status: "NORMAL",
    create_time: new Date(T0 - 3_600_000).toISOString(),
    ...over,
  };
}

/** A budget that never holds anything back: the rules other than the budget, on their own. */
const UNLIMITED: GroupBudget = { maxInStandby: 100, cooldownSeconds: 0 };
const NO_CLAIMS = { claims: [], leftovers: [], unread: [] };

function input(members: Member[], over: Partial<QuarantineInput> = {}): QuarantineInput {
  const instances = new Map(members.map((m) => [m.ecs_id!, inst(m.ecs_id!)]));
  return {
    settings,
    members,
    instances,
    tags: new Map(),
    now: T0,
    channelWriteFailed: false,
    budget: UNLIMITED,
    reading: NO_CLAIMS,
    ...over,
  };
}

describe("decideQuarantine", () => {
  const three = [member("i-1", "unhealthy"), member("i-2", "healthy"), member("i-3", "healthy")];

  it("a first unhealthy reading only remembers it: tag set to now, nothing quarantined", () => {
    const d = decideQuarantine(input(three));
    expect([...d.setTags]).toEqual([["i-1", secs(T0)]]);
    expect(d.quarantine).toEqual([]);
  });

  it("quarantines once the tag is at least after_seconds old, with the reason", () => {
    const tags = new Map([["i-1", String(secs(T0) - 300)]]);
    const d = decideQuarantine(input(three, { tags }));
    expect(d.quarantine.map((q) => q.instanceId)).toEqual(["i-1"]);
    expect(d.quarantine[0]!.reason).toBe("unhealthy since 2026-11-22T00:55:00Z (300 s, after_seconds 300)");
    expect(d.setTags.size).toBe(0);
  });

  it("not before after_seconds", () => {
    const tags = new Map([["i-1", String(secs(T0) - 299)]]);
    expect(decideQuarantine(input(three, { tags })).quarantine).toEqual([]);
  });

  it("a member healthy again loses its tag; unknown keeps it", () => {
    const members = [member("i-1", "healthy"), member("i-2", "unknown"), member("i-3", "healthy")];
    const tags = new Map([
      ["i-1", String(secs(T0) - 900)],
      ["i-2", String(secs(T0) - 900)],
    ]);
    const d = decideQuarantine(input(members, { tags }));
    expect(d.clearTags).toEqual(["i-1"]);
    expect(d.setTags.size).toBe(0);
    expect(d.quarantine).toEqual([]);
  });

  it("more than max_unhealthy_fraction unhealthy: nothing replaced or tagged, and the counts", () => {
    const members = [member("i-1", "unhealthy"), member("i-2", "unhealthy"), member("i-3", "healthy")];
    const tags = new Map([
      ["i-1", String(secs(T0) - 900)],
      ["i-3", String(secs(T0) - 900)],
    ]);
    const d = decideQuarantine(input(members, { tags }));
    expect(d.guard).toEqual({ unhealthy: 2, members: 3, unknown: 0, tripped: true });
    expect(d.quarantine).toEqual([]);
    expect(d.setTags.size).toBe(0);
    // A healthy member's tag still goes: it must not date a later spell too early.
    expect(d.clearTags).toEqual(["i-3"]);
    // Exactly the fraction is allowed: "more than" trips it.
    const half = [member("i-1", "unhealthy"), member("i-2", "healthy")];
    expect(decideQuarantine(input(half)).guard.tripped).toBe(false);
  });

  it("counts the fraction over members with a health reading: unknown never counts as healthy", () => {
    const old = String(secs(T0) - 900);
    const scaleOut = [
      ...["i-1", "i-2", "i-3"].map((id) => member(id, "unhealthy")),
      ...["i-4", "i-5", "i-6", "i-7"].map((id) => member(id, "unknown")),
    ];
    const tags = new Map(["i-1", "i-2", "i-3"].map((id) => [id, old]));
    const d = decideQuarantine(input(scaleOut, { tags }));
    expect(d.guard).toEqual({ unhealthy: 3, members: 3, unknown: 4, tripped: true });
    expect(d.quarantine).toEqual([]);
    // One unhealthy of two read is exactly half: allowed, however many are not checked yet.
    const mostlyUnread = [
      member("i-1", "unhealthy"),
      member("i-2", "healthy"),
      ...["i-3", "i-4", "i-5"].map((id) => member(id, "unknown")),
    ];
    const half = decideQuarantine(input(mostlyUnread, { tags: new Map([["i-1", old]]) }));
    expect(half.guard).toMatchObject({ unhealthy: 1, members: 2, unknown: 3, tripped: false });
    expect(half.quarantine.map((q) => q.instanceId)).toEqual(["i-1"]);
    // Nothing read at all: nothing is unhealthy either.
    expect(decideQuarantine(input([member("i-1", "unknown")])).guard.tripped).toBe(false);
  });

  it("quarantines only within the group's budget, and says why the rest waits", () => {
    const old = String(secs(T0) - 900);
    const members = [member("i-1", "unhealthy"), member("i-2", "unhealthy"), member("i-3", "healthy")];
    const tags = new Map([
      ["i-1", String(secs(T0) - 1200)],
      ["i-2", old],
    ]);
    const roomy = { ...settings, max_per_run: 2, max_unhealthy_fraction: 1 };
    const instances = new Map([
      ...members.map((m) => [m.ecs_id!, inst(m.ecs_id!)] as const),
      ["i-9", inst("i-9", { life_cycle_state: "STANDBY" })],
    ]);
    const inStandby = (at: number) => readBudget(instances.values(), new Map([["i-9", String(at)]]));
    // One quarantined instance in standby (tagged long ago) and max_in_standby 2: room for one more.
    const one = decideQuarantine(
      input(members, {
        tags,
        instances,
        settings: roomy,
        budget: { maxInStandby: 2, cooldownSeconds: 600 },
        reading: inStandby(secs(T0) - 3600),
      }),
    );
    expect(one.quarantine.map((q) => q.instanceId)).toEqual(["i-1"]);
    expect(one.held).toEqual([{ instanceId: "i-2", reason: "max_in_standby (2) reached; in standby: i-9" }]);
    // Its tag 599 s old and cooldown_seconds 600: none.
    const cooling = decideQuarantine(
      input(members, {
        tags,
        instances,
        settings: roomy,
        budget: { maxInStandby: 3, cooldownSeconds: 600 },
        reading: inStandby(secs(T0) - 599),
      }),
    );
    expect(cooling.quarantine).toEqual([]);
    expect(cooling.held.map((h) => h.reason)).toEqual([
      "cooldown_seconds (600): the latest quarantine in the group began 2026-11-22T00:50:01Z",
      "cooldown_seconds (600): the latest quarantine in the group began 2026-11-22T00:50:01Z",
    ]);
    // An untagged instance in standby (an operator's) holds no budget.
    const operators = decideQuarantine(
      input(members, {
        tags,
        instances,
        settings: roomy,
        budget: { maxInStandby: 1, cooldownSeconds: 600 },
        reading: readBudget(instances.values(), new Map()),
      }),
    );
    expect(operators.quarantine.map((q) => q.instanceId)).toEqual(["i-1"]);
  });

  it("removes quarantined-at tags on instances in service, however fresh, except on the one it quarantines now", () => {
    const members = [member("i-1", "unhealthy"), member("i-2", "healthy"), member("i-3", "healthy")];
    const instances = new Map(members.map((m) => [m.ecs_id!, inst(m.ecs_id!)]));
    const leftovers = new Map([
      ["i-1", String(secs(T0) - 3600)],
      ["i-2", String(secs(T0))],
      ["i-3", "not-a-time"],
    ]);
    const d = decideQuarantine(
      input(members, {
        tags: new Map([["i-1", String(secs(T0) - 900)]]),
        instances,
        budget: { maxInStandby: 1, cooldownSeconds: 600 },
        reading: readBudget(instances.values(), leftovers),
      }),
    );
    expect(d.quarantine.map((q) => q.instanceId)).toEqual(["i-1"]);
    expect(d.clearQuarantinedAt).toEqual(["i-2", "i-3"]);
  });

  it("holds back instances that are not INSERVICE, AS-ERROR, too young, or when a channel write failed", () => {
    const members = [member("i-1", "unhealthy"), member("i-2", "healthy"), member("i-3", "healthy")];
    const tags = new Map([["i-1", String(secs(T0) - 900)]]);
    const cases: [Partial<GroupInstance>, boolean, string][] = [
      [{ life_cycle_state: "PENDING_WAIT" }, false, "instance is PENDING_WAIT"],
      [{ health_status: "ERROR" }, false, "AS reports the instance ERROR and replaces it itself"],
      [{ create_time: new Date(T0 - 299_000).toISOString() }, false, "instance younger than after_seconds"],
      [{}, true, "a write to this channel failed this run"],
    ];
    for (const [over, failed, reason] of cases) {
      const instances = new Map(members.map((m) => [m.ecs_id!, inst(m.ecs_id!)]));
      instances.set("i-1", inst("i-1", over));
      const d = decideQuarantine(input(members, { tags, instances, channelWriteFailed: failed }));
      expect(d.quarantine).toEqual([]);
      expect(d.held).toEqual([{ instanceId: "i-1", reason }]);
    }
  });

  it("max_per_run, longest unhealthy first", () => {
    const members = ["i-1", "i-2", "i-3", "i-4", "i-5"].map((id, k) =>
      member(id, k < 3 ? "unhealthy" : "healthy"),
    );
    const tags = new Map([
      ["i-1", String(secs(T0) - 400)],
      ["i-2", String(secs(T0) - 900)],
      ["i-3", String(secs(T0) - 600)],
    ]);
    const d = decideQuarantine(
      input(members, { tags, settings: { ...settings, max_per_run: 2, max_unhealthy_fraction: 0.6 } }),
    );
    expect(d.quarantine.map((q) => q.instanceId)).toEqual(["i-2", "i-3"]);
    expect(d.held).toEqual([{ instanceId: "i-1", reason: "max_per_run (2) reached" }]);
  });

  it("a tag older than the member (left from an earlier membership) starts again from now", () => {
    const m = member("i-1", "unhealthy", { create_time: new Date(T0 - 60_000).toISOString() });
    const tags = new Map([["i-1", String(secs(T0) - 900)]]);
    const d = decideQuarantine(input([m, member("i-2", "healthy")], { tags }));
    expect([...d.setTags]).toEqual([["i-1", secs(T0)]]);
    expect(d.quarantine).toEqual([]);
  });

  it("bindingMembers: enabled members of the binding's group instances, once each", () => {
    const members = [
      member("i-1", "unhealthy"),
      member("i-1", "unhealthy", { id: "dup" }),
      member("i-2", "unhealthy", { status: 2 }),
      member("other-group", "unhealthy"),
    ];
    const instances = new Map([
      ["i-1", inst("i-1")],
      ["i-2", inst("i-2")],
    ]);
    expect(bindingMembers(members, instances).map((m) => m.id)).toEqual(["m-i-1"]);
  });
});

describe("the ECS tags", () => {
  it("carry the names the contract gives them: operators and earlier versions read and remove them by name", () => {
    expect(UNHEALTHY_SINCE_TAG).toBe("channel-autoscaler-unhealthy-since");
    expect(QUARANTINED_AT_TAG).toBe("channel-autoscaler-quarantined-at");
  });
});

describe("decideQuarantine at its edges", () => {
  const since = secs(T0) - 900;
  const unhealthyWith = (over: Partial<Member> = {}, instance: Partial<GroupInstance> = {}) => {
    const members = [member("i-1", "unhealthy", over), member("i-2", "healthy")];
    const instances = new Map([
      ["i-1", inst("i-1", instance)],
      ["i-2", inst("i-2")],
    ]);
    return decideQuarantine(input(members, { instances, tags: new Map([["i-1", String(since)]]) }));
  };

  it("reads the tag only as a whole number of epoch seconds", () => {
    expect(parseSince("1764000000")).toBe(1_764_000_000);
    for (const bad of [undefined, "", "abc", "x123", "123x", "12.5", "1234567890123"]) {
      expect(parseSince(bad)).toBeUndefined();
    }
  });

  it("a tag from the second the member was created in counts; one a second older is stale", () => {
    const sameSecond = unhealthyWith({ create_time: new Date(since * 1000 + 999).toISOString() });
    expect(sameSecond.quarantine.map((q) => q.instanceId)).toEqual(["i-1"]);
    expect(sameSecond.setTags.size).toBe(0);
    expect(sameSecond.held).toEqual([]);
    const secondBefore = unhealthyWith({ create_time: new Date(since * 1000 + 1000).toISOString() });
    expect(secondBefore.quarantine).toEqual([]);
    expect([...secondBefore.setTags]).toEqual([["i-1", secs(T0)]]);
  });

  it("an instance exactly after_seconds old may go; one whose AS state is not listed is held", () => {
    const old = unhealthyWith({}, { create_time: new Date(T0 - 300_000).toISOString() });
    expect(old.quarantine.map((q) => q.instanceId)).toEqual(["i-1"]);
    const stateless = unhealthyWith({}, { life_cycle_state: undefined });
    expect(stateless.held).toEqual([{ instanceId: "i-1", reason: "instance is unknown" }]);
  });

  it("of members unhealthy since the same second, the smallest instance id goes first, in any order", () => {
    const ids = ["i-2", "i-1", "i-3", "i-4"];
    const tags = new Map([
      ["i-1", String(since)],
      ["i-2", String(since)],
    ]);
    const one = { ...settings, max_per_run: 1 };
    for (const order of [ids, [...ids].reverse()]) {
      const members = order.map((id) => member(id, id === "i-1" || id === "i-2" ? "unhealthy" : "healthy"));
      const d = decideQuarantine(input(members, { tags, settings: one }));
      expect(d.quarantine.map((q) => q.instanceId)).toEqual(["i-1"]);
      expect(d.held).toEqual([{ instanceId: "i-2", reason: "max_per_run (1) reached" }]);
    }
  });
});

// Health flips over many runs: the safety rules hold whatever the history.
describe("property: random health flips across runs", () => {
  const health = fc.constantFrom("healthy", "unhealthy", "unknown");
  const scenario = fc.record({
    members: fc.integer({ min: 1, max: 6 }),
    after: fc.integer({ min: 60, max: 600 }),
    maxPerRun: fc.integer({ min: 1, max: 3 }),
    fraction: fc.constantFrom(0, 0.25, 0.5, 0.75, 1),
    ages: fc.array(fc.integer({ min: 0, max: 1_200 }), { minLength: 6, maxLength: 6 }),
    runs: fc.array(
      fc.record({
        gapSeconds: fc.integer({ min: 1, max: 400 }),
        health: fc.array(health, { minLength: 6, maxLength: 6 }),
        writeFailed: fc.boolean(),
      }),
      { minLength: 1, maxLength: 25 },
    ),
  });

  it("never more than max_per_run, never above the fraction, never before after_seconds, never a young instance", () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const cfg = ReplaceUnhealthySchema().parse({
          after_seconds: s.after,
          max_per_run: s.maxPerRun,
          max_unhealthy_fraction: s.fraction,
        });
        const ids = Array.from({ length: s.members }, (_, k) => `i-${k}`);
        const instances = new Map(
          ids.map((id, k) => [id, inst(id, { create_time: new Date(T0 - s.ages[k]! * 1000).toISOString() })]),
        );
        const tags = new Map<string, string>();
        /** Time of the first reading of the current unbroken unhealthy spell (healthy ends it). */
        const spell = new Map<string, number>();
        let now = T0;
        for (const run of s.runs) {
          now += run.gapSeconds * 1000;
          const members = ids
            .filter((id) => instances.get(id)!.life_cycle_state === "INSERVICE")
            .map((id) => member(id, run.health[Number(id.slice(2))]!));
          for (const m of members) {
            if (m.health_status === "healthy") spell.delete(m.ecs_id!);
            else if (m.health_status === "unhealthy" && !spell.has(m.ecs_id!)) spell.set(m.ecs_id!, now);
          }
          const d = decideQuarantine({
            settings: cfg,
            members,
            instances,
            tags,
            now,
            channelWriteFailed: run.writeFailed,
            budget: UNLIMITED,
            reading: NO_CLAIMS,
          });
          const unhealthy = members.filter((m) => m.health_status === "unhealthy").length;
          const read = unhealthy + members.filter((m) => m.health_status === "healthy").length;
          expect(d.quarantine.length).toBeLessThanOrEqual(cfg.max_per_run);
          if (unhealthy / read > cfg.max_unhealthy_fraction) {
            expect(d.quarantine).toEqual([]);
            expect(d.setTags.size).toBe(0);
          }
          if (run.writeFailed) expect(d.quarantine).toEqual([]);
          for (const q of d.quarantine) {
            const m = members.find((x) => x.ecs_id === q.instanceId)!;
            expect(m.health_status).toBe("unhealthy");
            // Unhealthy (or unknown) across after_seconds, from a reading of an earlier run.
            expect(now - spell.get(q.instanceId)!).toBeGreaterThanOrEqual(cfg.after_seconds * 1000);
            expect(now - Date.parse(instances.get(q.instanceId)!.create_time!)).toBeGreaterThanOrEqual(
              cfg.after_seconds * 1000,
            );
            instances.get(q.instanceId)!.life_cycle_state = "STANDBY";
          }
          for (const [id, since] of d.setTags) tags.set(id, String(since));
          for (const id of d.clearTags) tags.delete(id);
          // The tag never claims a spell longer than the one observed.
          for (const [id, since] of tags) {
            if (spell.has(id)) expect(Number(since) * 1000).toBeGreaterThanOrEqual(spell.get(id)! - 1000);
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  it("a member unhealthy run after run is quarantined once after_seconds have passed", () => {
    fc.assert(
      fc.property(fc.integer({ min: 60, max: 900 }), fc.integer({ min: 1, max: 120 }), (after, gap) => {
        const cfg = ReplaceUnhealthySchema().parse({ after_seconds: after });
        const members = [member("i-1", "unhealthy"), member("i-2", "healthy")];
        const instances = new Map(members.map((m) => [m.ecs_id!, inst(m.ecs_id!)]));
        const tags = new Map<string, string>();
        let now = T0;
        const first = now;
        for (;;) {
          const d = decideQuarantine({
            settings: cfg,
            members,
            instances,
            tags,
            now,
            channelWriteFailed: false,
            budget: UNLIMITED,
            reading: NO_CLAIMS,
          });
          for (const [id, since] of d.setTags) tags.set(id, String(since));
          if (d.quarantine.length > 0) {
            expect(now - first).toBeGreaterThanOrEqual(after * 1000 - 1000);
            expect(now - first).toBeLessThan(after * 1000 + gap * 1000 + 1000);
            return;
          }
          now += gap * 1000;
        }
      }),
      { numRuns: 200 },
    );
  });
});
