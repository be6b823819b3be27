import { describe, expect, it } from "vitest";
import type { GroupInstance, HangingHook } from "../../src/cloud/autoscaling";
import type { Channel, Member } from "../../src/cloud/gateway";
import { BindingSchema } from "../../src/config/schema";
import {
  channelsToRead,
  completesTerminateHook,
  decideHook,
  memberListed,
  type TargetOutcome,
} from "../../src/plan/decide-hook";

const NOW = Date.parse("2026-11-22T12:00:00Z");
const hook: HangingHook = {
  instance_id: "i-1",
  lifecycle_hook_name: "h",
  lifecycle_action_key: "k",
  scaling_group_id: "asg-1",
};
const inst = (state: string, health = "NORMAL"): GroupInstance => ({
  instance_id: "i-1",
  life_cycle_state: state,
  health_status: health,
  scaling_group_id: "asg-1",
});
const channel = (healthCheck: boolean): Channel => ({
  id: "c",
  name: "c",
  port: 80,
  balance_strategy: 1,
  member_type: "ecs",
  ...(healthCheck ? { vpc_health_config: { protocol: "TCP" } } : {}),
});
function target(
  gateway: "roma" | "apig",
  over: Partial<TargetOutcome> & { member?: Partial<Member> | null } = {},
): TargetOutcome {
  const binding = BindingSchema().parse({
    scaling_group_id: "asg-1",
    gateway,
    instance_id: "gw",
    vpc_channel_id: "c",
    member_group_name: "web",
    healthy_timeout_seconds: 60,
  });
  const present = new Map<string, Member | undefined>();
  if (over.member !== null) present.set("i-1", { id: "m1", ecs_id: "i-1", ...over.member });
  return {
    target: {
      key: "k",
      channel: { gateway, instance_id: "gw", vpc_channel_id: "c" },
      memberGroupName: "web",
      bindings: [binding],
    },
    failed: false,
    present,
    lingering: new Set(),
    channel: undefined,
    ...over,
  };
}
const ago = (s: number) => new Date(NOW - s * 1000).toISOString();

describe("decideHook", () => {
  it.each<[string, GroupInstance | undefined, TargetOutcome[], string | undefined]>([
    ["launch, ROMA member registered", inst("PENDING_WAIT"), [target("roma")], "CONTINUE"],
    ["launch, member missing", inst("PENDING_WAIT"), [target("roma", { member: null })], undefined],
    [
      "launch, one of two targets missing the member",
      inst("PENDING_WAIT"),
      [target("roma"), target("roma", { member: null })],
      undefined,
    ],
    ["launch, a target failed", inst("PENDING_WAIT"), [target("roma", { failed: true })], undefined],
    ["launch, AS health ERROR", inst("PENDING_WAIT", "ERROR"), [target("roma")], undefined],
    [
      "launch, APIG healthy",
      inst("PENDING_WAIT"),
      [target("apig", { member: { health_status: "healthy" } })],
      "CONTINUE",
    ],
    [
      "launch, APIG unhealthy, young",
      inst("PENDING_WAIT"),
      [target("apig", { member: { health_status: "unhealthy", create_time: ago(10) } })],
      undefined,
    ],
    [
      "launch, APIG unhealthy, past timeout",
      inst("PENDING_WAIT"),
      [target("apig", { member: { health_status: "unhealthy", create_time: ago(61) } })],
      "ABANDON",
    ],
    [
      "launch, APIG just added (health not listed yet)",
      inst("PENDING_WAIT"),
      [target("apig", { member: undefined })],
      undefined,
    ],
    [
      "launch, APIG unknown, no health check",
      inst("PENDING_WAIT"),
      [target("apig", { member: { health_status: "unknown" }, channel: channel(false) })],
      "CONTINUE",
    ],
    [
      "launch, APIG unknown, health check, young",
      inst("PENDING_WAIT"),
      [target("apig", { member: { health_status: "unknown", create_time: ago(1) }, channel: channel(true) })],
      undefined,
    ],
    ["terminate, member gone", inst("REMOVING_WAIT"), [target("roma", { member: null })], "CONTINUE"],
    ["terminate, member still present", inst("REMOVING_WAIT"), [target("roma")], undefined],
    [
      "terminate, member left disabled",
      inst("REMOVING_WAIT"),
      [target("roma", { member: null, lingering: new Set(["i-1"]) })],
      undefined,
    ],
    ["instance not listed", undefined, [target("roma", { member: null })], undefined],
    ["instance INSERVICE", inst("INSERVICE"), [target("roma")], undefined],
  ])("%s → %s", (_, instance, targets, want) => {
    expect(decideHook(hook, instance, targets, NOW).result).toBe(want);
  });

  it.each<[string, GroupInstance | undefined, TargetOutcome[], string]>([
    [
      "a channel failed, whichever",
      inst("PENDING_WAIT"),
      [target("roma"), target("roma", { failed: true })],
      "a channel of this group failed this run",
    ],
    ["the instance is not listed", undefined, [target("roma")], "instance not in the group's instance list"],
    ["the instance serves already", inst("INSERVICE"), [target("roma")], "instance is INSERVICE"],
    [
      "AS finds the instance broken",
      inst("PENDING_WAIT", "ERROR"),
      [target("roma")],
      "instance health is ERROR",
    ],
    [
      "a terminate hook, one of two targets still holding the member",
      inst("REMOVING_WAIT"),
      [target("roma", { member: null }), target("roma")],
      "member not removed yet",
    ],
    [
      "a terminate hook, the member gone",
      inst("REMOVING_WAIT"),
      [target("roma", { member: null })],
      "member drained and removed",
    ],
    ["a launch hook, the member registered", inst("PENDING_WAIT"), [target("roma")], "member registered"],
  ])("says why it decided as it did: %s", (_, instance, targets, reason) => {
    expect(decideHook(hook, instance, targets, NOW).reason).toBe(reason);
  });

  it("waits on an APIG member added this run (not listed yet) as on one of unknown health", () => {
    const justAdded = (over: Partial<TargetOutcome>) =>
      target("apig", { member: null, present: new Map([["i-1", undefined]]), ...over });
    for (const t of [justAdded({}), justAdded({ channel: channel(true) })]) {
      expect(decideHook(hook, inst("PENDING_WAIT"), [t], NOW)).toEqual({
        result: undefined,
        reason: "member health is unknown",
        healthWait: true,
      });
    }
    expect(decideHook(hook, inst("PENDING_WAIT"), [justAdded({ channel: channel(false) })], NOW).result).toBe(
      "CONTINUE",
    );
  });

  it("waits on an unhealthy APIG member even on a channel without a health check", () => {
    const t = target("apig", {
      member: { health_status: "unhealthy", create_time: ago(10) },
      channel: channel(false),
    });
    expect(decideHook(hook, inst("PENDING_WAIT"), [t], NOW)).toMatchObject({
      result: undefined,
      reason: "member health is unhealthy",
    });
  });

  it("abandons once the shortest healthy_timeout_seconds of the target's bindings has passed, to the second", () => {
    const twoBindings = (age: number) => {
      const t = target("apig", { member: { health_status: "unhealthy", create_time: ago(age) } });
      const slow = { ...t.target.bindings[0]!, scaling_group_id: "asg-2", healthy_timeout_seconds: 600 };
      return { ...t, target: { ...t.target, bindings: [...t.target.bindings, slow] } };
    };
    expect(decideHook(hook, inst("PENDING_WAIT"), [twoBindings(60)], NOW)).toEqual({
      result: "ABANDON",
      reason: "member not healthy within healthy_timeout_seconds",
    });
    expect(decideHook(hook, inst("PENDING_WAIT"), [twoBindings(59)], NOW).result).toBeUndefined();
  });

  it("marks waits on APIG health as worth polling, and nothing else", () => {
    expect(
      decideHook(
        hook,
        inst("PENDING_WAIT"),
        [target("apig", { member: { health_status: "unhealthy", create_time: ago(1) } })],
        NOW,
      ).healthWait,
    ).toBe(true);
    expect(
      decideHook(hook, inst("PENDING_WAIT"), [target("roma", { member: null })], NOW).healthWait,
    ).toBeUndefined();
  });
});

describe("channelsToRead", () => {
  it("names unread APIG channels that a launch hook's health rule needs", () => {
    const apig = target("apig");
    const read = target("apig", { channel: channel(false) });
    const roma = target("roma");
    expect(channelsToRead([{ instance: inst("PENDING_WAIT"), targets: [apig, read, roma] }])).toEqual([apig]);
    expect(channelsToRead([{ instance: inst("REMOVING_WAIT"), targets: [apig] }])).toEqual([]);
    expect(channelsToRead([{ instance: undefined, targets: [apig] }])).toEqual([]);
  });

  it("a binding that enforces a health_check says the channel checks health: no read, and unknown waits", () => {
    const enforced = target("apig", {
      member: { health_status: "unknown", create_time: new Date(NOW).toISOString() },
    });
    enforced.target.bindings = [
      { ...enforced.target.bindings[0]!, health_check: { protocol: "TCP" } as never },
    ];
    expect(channelsToRead([{ instance: inst("PENDING_WAIT"), targets: [enforced] }])).toEqual([]);
    expect(decideHook(hook, inst("PENDING_WAIT"), [enforced], NOW)).toMatchObject({
      result: undefined,
      healthWait: true,
    });
    // One binding of the target enforcing it is enough, whatever the others leave unset.
    const [first] = enforced.target.bindings;
    enforced.target.bindings = [{ ...first!, health_check: undefined, scaling_group_id: "asg-2" }, first!];
    expect(channelsToRead([{ instance: inst("PENDING_WAIT"), targets: [enforced] }])).toEqual([]);
  });
});

describe("terminate hooks are completed on a read made after the deletes", () => {
  it("completesTerminateHook: only a CONTINUE for a REMOVING_WAIT instance needs that read", () => {
    const cont = { result: "CONTINUE" as const, reason: "" };
    expect(completesTerminateHook(inst("REMOVING_WAIT"), cont)).toBe(true);
    expect(completesTerminateHook(inst("REMOVING_WAIT"), { result: undefined, reason: "" })).toBe(false);
    expect(completesTerminateHook(inst("PENDING_WAIT"), cont)).toBe(false);
    expect(completesTerminateHook(undefined, cont)).toBe(false);
  });

  it("memberListed: a member of the instance in any of the listings", () => {
    const other: Member = { id: "m2", ecs_id: "i-2" };
    expect(memberListed("i-1", [[other], []])).toBe(false);
    expect(memberListed("i-1", [[other], [{ id: "m9", ecs_id: "i-1", status: 2 }]])).toBe(true);
  });
});
