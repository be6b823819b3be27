import { describe, expect, it } from "vitest";
import type { Channel, Member } from "../../src/cloud/gateway";
import type { DesiredMember } from "../../src/plan/desired";
import { MANAGED_REMARK, memberGroupOwnership, ownershipCheckDue } from "../../src/plan/ownership";
import { planTarget } from "../../src/plan/plan-members";

const channel = (groups: Channel["member_groups"]): Channel => ({
  id: "chan-1",
  name: "web",
  port: 8080,
  balance_strategy: 1,
  member_type: "ecs",
  member_groups: groups,
});

describe("memberGroupOwnership", () => {
  it("owns a group that is absent from the channel and has no member, or that carries exactly the remark", () => {
    expect(memberGroupOwnership(channel([]), "web", 0)).toEqual({ managed: true, exists: false });
    expect(memberGroupOwnership(channel(null), "web", 0)).toEqual({ managed: true, exists: false });
    expect(
      memberGroupOwnership(
        channel([{ member_group_name: "web", member_group_remark: MANAGED_REMARK }]),
        "web",
        3,
      ),
    ).toEqual({ managed: true, exists: true });
  });

  it.each([
    ["no remark", { member_group_name: "web" }, null],
    ["an empty remark", { member_group_name: "web", member_group_remark: "" }, ""],
    ["another remark", { member_group_name: "web", member_group_remark: "owner=ops" }, "owner=ops"],
    [
      "the marker with more around it",
      { member_group_name: "web", member_group_remark: ` ${MANAGED_REMARK}` },
      ` ${MANAGED_REMARK}`,
    ],
    [
      "the marker in another case",
      { member_group_name: "web", member_group_remark: "Managed-By=channel-autoscaler" },
      "Managed-By=channel-autoscaler",
    ],
  ])("does not own a group with %s", (_what, group, remark) => {
    expect(memberGroupOwnership(channel([group]), "web", 0)).toEqual({ managed: false, remark });
  });

  it("judges the named group among others", () => {
    const groups = [
      { member_group_name: "api", member_group_remark: "owner=ops" },
      { member_group_name: "web", member_group_remark: MANAGED_REMARK },
    ];
    expect(memberGroupOwnership(channel(groups), "web", 1)).toEqual({ managed: true, exists: true });
    expect(memberGroupOwnership(channel(groups), "api", 1)).toEqual({ managed: false, remark: "owner=ops" });
  });

  it("does not take a group the channel does not list for absent when its listing has members", () => {
    expect(memberGroupOwnership(channel([{ member_group_name: "other" }]), "web", 2)).toEqual({
      managed: false,
      remark: null,
    });
  });
});

describe("ownershipCheckDue", () => {
  const desired = (id: string): DesiredMember => ({
    ecs_id: id,
    ecs_name: id,
    weight: 1,
    is_backup: false,
    port: undefined,
    member_group_name: "web",
    scaling_group_id: "asg-1",
    life_cycle_state: "INSERVICE",
    slow_start_seconds: 0,
  });
  const member = (id: string, status = 1): Member => ({
    id: `m-${id}`,
    ecs_id: id,
    ecs_name: id,
    weight: 1,
    is_backup: false,
    member_group_name: "web",
    status,
  });
  const plan = (want: string[], have: Member[]) =>
    planTarget({ desired: want.map(desired), actual: have, memberType: "ecs", ips: new Map(), now: 0 });

  it("is due for any write to the group, or a waiting hook; not for a converged group", () => {
    expect(ownershipCheckDue(plan(["a"], [member("a")]), false)).toBe(false);
    expect(ownershipCheckDue(plan(["a"], [member("a")]), true)).toBe(true);
    expect(ownershipCheckDue(plan(["a", "b"], [member("a")]), false)).toBe(true);
    expect(ownershipCheckDue(plan(["a"], [member("a", 2)]), false)).toBe(true);
    expect(ownershipCheckDue(plan([], [member("a")]), false)).toBe(true);
  });

  it("is due when an add waits for an instance's address (ip channels), unless the instances are partial", () => {
    const waiting = planTarget({
      desired: [desired("a")],
      actual: [],
      memberType: "ip",
      ips: new Map(),
      now: 0,
    });
    expect(waiting.needsAddress).toEqual(["a"]);
    expect(ownershipCheckDue(waiting, false)).toBe(true);
    expect(ownershipCheckDue(waiting, false, true)).toBe(false);
  });

  it("from part of the instances, counts adds and re-enables only: a stray-looking member may be a later page's", () => {
    expect(ownershipCheckDue(plan([], [member("a")]), false, true)).toBe(false);
    expect(ownershipCheckDue(plan(["b"], [member("a")]), false, true)).toBe(true);
    expect(ownershipCheckDue(plan(["a"], [member("a", 2)]), false, true)).toBe(true);
  });
});
