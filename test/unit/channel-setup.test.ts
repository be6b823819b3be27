import { describe, expect, it } from "vitest";
import type { Channel } from "../../src/cloud/gateway";
import { planChannelSetup } from "../../src/sync/channel-setup";

const channel: Channel = {
  id: "c1",
  name: "web",
  port: 8080,
  balance_strategy: 1,
  member_type: "ecs",
  type: 2,
  member_groups: [
    {
      member_group_name: "other",
      member_group_id: "g1",
      member_group_weight: 3,
      member_group_remark: "theirs",
    },
    { member_group_name: "web", member_group_id: "g2" },
  ],
  vpc_health_config: {
    protocol: "http",
    path: "/health",
    port: 0,
    threshold_normal: 2,
    threshold_abnormal: 3,
    time_interval: 10,
    timeout: 5,
    http_code: "200",
    enable_client_ssl: false,
    id: "h1",
  },
};

const hc = {
  protocol: "HTTP" as const,
  path: "/health",
  threshold_normal: 2,
  threshold_abnormal: 3,
  time_interval: 10,
  timeout: 5,
  http_code: "200",
};

describe("planChannelSetup", () => {
  it("does nothing when the groups exist and the health check matches", () => {
    expect(planChannelSetup(channel, ["web"], hc)).toBeUndefined();
    expect(planChannelSetup(channel, ["web"], undefined)).toBeUndefined();
  });

  it("adds a missing group and sends every existing group back, without members", () => {
    const plan = planChannelSetup(channel, ["api"], undefined)!;
    expect(plan.missingGroups).toEqual(["api"]);
    expect(plan.update.member_groups.map((g) => g.member_group_name)).toEqual(["other", "web", "api"]);
    expect(plan.update.member_groups[0]).toMatchObject({
      member_group_weight: 3,
      member_group_remark: "theirs",
    });
    expect(plan.update).not.toHaveProperty("members");
    expect(plan.update).toMatchObject({ name: "web", port: 8080, balance_strategy: 1, member_type: "ecs" });
    // The existing health check is kept as it is (no read-only fields echoed back).
    expect(plan.update.vpc_health_config).not.toHaveProperty("id");
    expect(plan.update.vpc_health_config).toMatchObject({ path: "/health" });
  });

  it("sets a changed health check", () => {
    const plan = planChannelSetup(channel, ["web"], { ...hc, threshold_normal: 5 })!;
    expect(plan.healthCheckChanged).toBe(true);
    expect(plan.update.vpc_health_config).toMatchObject({ threshold_normal: 5 });
    expect(plan.update.member_groups).toHaveLength(2);
  });
});
