import { beforeEach, describe, expect, it } from "vitest";
import { AutoScalingTagsClient } from "../../src/cloud/autoscaling-tags";
import { Deadline } from "../../src/cloud/deadline";
import { CloudHttp } from "../../src/cloud/http";
import { BindingSchema } from "../../src/config/schema";
import { discoverAll, discoverGroups } from "../../src/discovery/discover";
import { RunMetrics } from "../../src/observability/metrics";
import { emulatorForFile } from "../support/emulator-for-file";

/** Discovery's AS calls against the emulator: paging, filters, and the one-group read of an event. */

const emu = await emulatorForFile();
const metrics = new RunMetrics();
const client = new AutoScalingTagsClient(
  new CloudHttp({
    projectId: emu.projectId,
    endpointOf: () => emu.url,
    credentials: { ak: "EMULATORAK", sk: "EMULATORSK" },
    deadline: new Deadline(60_000, 0, () => 0),
    policy: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1 },
    requestTimeoutMs: 10_000,
    metrics,
    limiters: {},
  }),
);

const tagged = (i: number, memberGroup = "web") => ({
  scaling_group_id: `asg-${String(i).padStart(2, "0")}`,
  tags: [
    { key: "channel-autoscaler-channel", value: `chan-${i % 3}` },
    { key: "channel-autoscaler-instance", value: "roma-1" },
    { key: "channel-autoscaler-member-group", value: memberGroup },
  ],
});

beforeEach(() => {
  emu.control.reset();
  emu.control.setOptions({ pageSizeCap: 1000 });
  emu.control.load({
    scaling_groups: [
      ...Array.from({ length: 20 }, (_, i) => tagged(i, `web${i}`)),
      { scaling_group_id: "asg-untagged", tags: [{ key: "owner", value: "x" }] },
    ],
  });
});

const tagCalls = () => emu.control.calls().filter((c) => c.path.includes("/scaling_group_tag/"));

describe("discovery", () => {
  it("reads every tagged group, following total_count when the server serves fewer than 1000 a page", async () => {
    emu.control.setOptions({ pageSizeCap: 7 });
    const set = await discoverAll(client, []);
    expect(set.bindings).toHaveLength(20);
    expect(set.bindings.map((b) => b.scaling_group_id)).toEqual(
      Array.from({ length: 20 }, (_, i) => `asg-${String(i).padStart(2, "0")}`),
    );
    expect(tagCalls().map((c) => (c.body as { offset?: string }).offset)).toEqual([undefined, "7", "14"]);
    // A POST that only reads is not a write.
    expect(metrics.writes.as ?? 0).toBe(0);
  });

  it("for named groups, reads their tags and the groups tagged with the same channel and member group", async () => {
    emu.control.setGroupTags("asg-03", tagged(0, "web0").tags);
    const set = await discoverGroups(client, [], ["asg-00", "asg-untagged", "asg-missing"]);
    expect(set.bindings.map((b) => b.scaling_group_id).sort()).toEqual(["asg-00", "asg-03"]);
    expect(tagCalls().map((c) => [c.method, c.path.split("/scaling_group_tag/")[1]])).toEqual([
      ["GET", "asg-00/tags"],
      ["GET", "asg-untagged/tags"],
      ["GET", "asg-missing/tags"],
      ["POST", "resource_instances/action"],
    ]);
  });

  it("reads no tags of a group BINDINGS names, only the tag groups of its member group", async () => {
    const env = [
      BindingSchema().parse({
        scaling_group_id: "asg-env",
        instance_id: "roma-1",
        vpc_channel_id: "chan-1",
        member_group_name: "web1",
      }),
    ];
    const set = await discoverGroups(client, env, ["asg-env"]);
    expect(set.bindings.map((b) => b.scaling_group_id)).toEqual(["asg-env", "asg-01"]);
    expect(tagCalls().map((c) => c.body)).toEqual([
      {
        action: "filter",
        tags: [
          { key: "channel-autoscaler-channel", values: ["chan-1"] },
          { key: "channel-autoscaler-member-group", values: ["web1"] },
        ],
        limit: "1000",
      },
    ]);
  });
});
