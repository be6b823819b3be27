import { describe, expect, it } from "vitest";
import type { Channel } from "../../src/cloud/gateway";
import { loadConfig } from "../../src/config/load";
import { planChannelSetup, sameHealthCheck, weightedGroups } from "../../src/plan/plan-channel";

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

  it("names only the missing groups, and no health check when it matches", () => {
    const plan = planChannelSetup(channel, ["api", "web", "api"], hc)!;
    expect(plan).toEqual({ missingGroups: ["api"], healthCheck: undefined });
  });

  it("sets a changed health check as the binding's fields alone", () => {
    const plan = planChannelSetup(channel, ["web"], { ...hc, threshold_normal: 5 })!;
    expect(plan.missingGroups).toEqual([]);
    expect(plan.healthCheck).toEqual({ ...hc, protocol: "HTTP", threshold_normal: 5 });
  });

  it("sets a health check on a channel that has none", () => {
    const bare: Channel = { ...channel, vpc_health_config: null };
    expect(planChannelSetup(bare, [], { ...hc, protocol: "TCP" })?.healthCheck?.protocol).toBe("TCP");
  });
});

describe("the health-config body", () => {
  it("sends the API's enum spelling of every protocol, whatever case the binding was written in", () => {
    const bare: Channel = { ...channel, vpc_health_config: null };
    for (const [given, sent] of [
      ["tcp", "TCP"],
      ["http", "HTTP"],
      ["HTTPS", "HTTPS"],
      ["https", "HTTPS"],
    ] as const) {
      const binding = {
        scaling_group_id: "asg-1",
        instance_id: "roma-1",
        vpc_channel_id: "c1",
        member_group_name: "web",
        health_check: { ...hc, protocol: given },
      };
      const env: Record<string, string> = {
        BINDINGS: JSON.stringify([binding]),
        HUAWEICLOUD_SDK_REGION: "cn-north-4",
        HUAWEICLOUD_SDK_PROJECT_ID: "p",
      };
      const config = loadConfig((key) => env[key]);
      expect(planChannelSetup(bare, [], config.bindings[0]!.health_check)?.healthCheck?.protocol).toBe(sent);
    }
  });
});

describe("sameHealthCheck", () => {
  it("compares after the gateway's defaults and spelling", () => {
    const listed = { ...hc, protocol: "http", method: "get", port: 0, enable_client_ssl: false };
    expect(sameHealthCheck(hc, listed)).toBe(true);
    expect(sameHealthCheck({ ...hc, method: "GET" }, listed)).toBe(true);
    const tcp = {
      protocol: "TCP" as const,
      threshold_normal: 2,
      threshold_abnormal: 3,
      time_interval: 10,
      timeout: 5,
    };
    expect(sameHealthCheck(tcp, { ...tcp, path: "", http_code: "", method: "GET" })).toBe(true);
  });

  it.each([
    ["protocol", { protocol: "HTTPS" }],
    ["path", { path: "/ready" }],
    ["method", { method: "HEAD" }],
    ["http_code", { http_code: "200-299" }],
    ["port", { port: 8081 }],
  ])("tells a different %s apart", (_field, change) => {
    expect(sameHealthCheck(hc, { ...hc, ...change })).toBe(false);
    expect(sameHealthCheck({ ...hc, ...change } as typeof hc, hc)).toBe(false);
  });
});

describe("weightedGroups", () => {
  it("names the named groups that carry a member_group_weight, with it", () => {
    const weighted: Channel = {
      ...channel,
      member_groups: [
        { member_group_name: "other", member_group_weight: 3 },
        { member_group_name: "web", member_group_weight: 0 },
        { member_group_name: "api" },
      ],
    };
    expect(weightedGroups(weighted, ["web", "api"])).toEqual([{ member_group_name: "web", weight: 0 }]);
    expect(weightedGroups({ ...channel, member_groups: null }, ["web"])).toEqual([]);
  });
});
