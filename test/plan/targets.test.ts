import { describe, expect, it } from "vitest";
import { BindingSchema } from "../../src/config/schema";
import { groupIntoJobs } from "../../src/plan/targets";

const binding = (scaling_group_id: string, over: Record<string, unknown> = {}) =>
  BindingSchema().parse({
    scaling_group_id,
    instance_id: "roma-1",
    vpc_channel_id: "chan-1",
    member_group_name: "web",
    ...over,
  });

describe("groupIntoJobs", () => {
  it("one job per channel, one target per member group, the bindings of a target together", () => {
    const a = binding("asg-1");
    const b = binding("asg-2", { member_group_name: "api" });
    const c = binding("asg-3");
    const d = binding("asg-4", { vpc_channel_id: "chan-2" });
    const jobs = groupIntoJobs([a, b, c, d]);
    expect(
      jobs.map((j) => [
        j.key,
        j.targets.map((t) => [t.key, t.memberGroupName, t.bindings.map((x) => x.scaling_group_id)]),
      ]),
    ).toEqual([
      [
        "roma/roma-1/chan-1",
        [
          ["roma/roma-1/chan-1/web", "web", ["asg-1", "asg-3"]],
          ["roma/roma-1/chan-1/api", "api", ["asg-2"]],
        ],
      ],
      ["roma/roma-1/chan-2", [["roma/roma-1/chan-2/web", "web", ["asg-4"]]]],
    ]);
    expect(jobs[0]!.channel).toEqual({ gateway: "roma", instance_id: "roma-1", vpc_channel_id: "chan-1" });
  });

  it("keeps channels of the same id on different gateways apart", () => {
    const jobs = groupIntoJobs([binding("asg-1"), binding("asg-2", { gateway: "apig" })]);
    expect(jobs.map((j) => j.key)).toEqual(["roma/roma-1/chan-1", "apig/roma-1/chan-1"]);
  });
});
