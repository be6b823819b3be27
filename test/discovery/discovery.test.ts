import { beforeEach, describe, expect, it } from "vitest";
import { AutoScalingTagsClient } from "../../src/cloud/autoscaling-tags";
import { Deadline } from "../../src/cloud/deadline";
import { CloudHttp } from "../../src/cloud/http";
import { BindingSchema } from "../../src/config/schema";
import type { TagBindingAllowList } from "../../src/config/tag-consent";
import { discoverAll, discoverGroups } from "../../src/discovery/discover";
import { RunMetrics } from "../../src/observability/metrics";
import { emulatorForFile } from "../support/emulator-for-file";

/** Discovery's AS calls against the emulator: paging, filters, and the one-group read of an event. */

const emu = await emulatorForFile();
// Built before each test, not as the file loads: what a test runs is what mutation testing
// (stryker.config.mjs) attributes to it.
let client: AutoScalingTagsClient;
let metrics: RunMetrics;

/** Every channel of roma-1. */
const ALL: TagBindingAllowList = [{ gateway: "roma", instance_id: "roma-1", vpc_channel_id: "*" }];

const tagged = (i: number, memberGroup = "web") => ({
  scaling_group_id: `asg-${String(i).padStart(2, "0")}`,
  tags: [
    { key: "channel-autoscaler-channel", value: `chan-${i % 3}` },
    { key: "channel-autoscaler-instance", value: "roma-1" },
    { key: "channel-autoscaler-member-group", value: memberGroup },
  ],
});

beforeEach(() => {
  metrics = new RunMetrics();
  client = new AutoScalingTagsClient(
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
    const set = await discoverAll(client, [], ALL);
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
    const set = await discoverGroups(client, [], ["asg-00", "asg-untagged", "asg-missing"], ALL);
    expect(set.bindings.map((b) => b.scaling_group_id).sort()).toEqual(["asg-00", "asg-03"]);
    expect(set.skipped).toEqual([]);
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
    const set = await discoverGroups(client, env, ["asg-env"], ALL);
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

  it("looks for the peers of every named group's member group", async () => {
    // asg-00 is on chan-0/web0, asg-01 on chan-1/web1.
    emu.control.setGroupTags("asg-05", tagged(0, "web0").tags);
    emu.control.setGroupTags("asg-07", tagged(1, "web1").tags);
    const set = await discoverGroups(client, [], ["asg-00", "asg-01"], ALL);
    expect(set.bindings.map((b) => b.scaling_group_id)).toEqual(["asg-00", "asg-01", "asg-05", "asg-07"]);
  });

  it("looks for the peers of a BINDINGS binding only when the event names its group and its channel is allowed", async () => {
    const env = [
      BindingSchema().parse({
        scaling_group_id: "asg-env",
        instance_id: "roma-1",
        vpc_channel_id: "chan-1",
        member_group_name: "web1",
      }),
    ];
    const unnamed = await discoverGroups(client, env, ["asg-00"], ALL);
    expect(unnamed.bindings.map((b) => b.scaling_group_id)).toEqual(["asg-env", "asg-00"]);
    expect(tagCalls().map((c) => (c.body as { tags?: unknown } | undefined)?.tags)).toEqual([
      undefined,
      [
        { key: "channel-autoscaler-channel", values: ["chan-0"] },
        { key: "channel-autoscaler-member-group", values: ["web0"] },
      ],
    ]);
    emu.control.clearCalls();
    const chan9: TagBindingAllowList = [{ gateway: "roma", instance_id: "roma-1", vpc_channel_id: "chan-9" }];
    const notAllowed = await discoverGroups(client, env, ["asg-env"], chan9);
    expect(notAllowed.bindings.map((b) => b.scaling_group_id)).toEqual(["asg-env"]);
    expect(tagCalls()).toEqual([]);
  });

  it("finds the channel tag among others, and looks for no peers of a group without a member group tag", async () => {
    emu.control.setGroupTags("asg-10", [{ key: "owner", value: "ops" }, ...tagged(1, "web1").tags]);
    const set = await discoverGroups(client, [], ["asg-10"], ALL);
    expect(set.bindings.map((b) => b.scaling_group_id)).toEqual(["asg-01", "asg-10"]);
    emu.control.clearCalls();
    emu.control.setGroupTags("asg-11", [
      { key: "owner", value: "ops" },
      { key: "channel-autoscaler-channel", value: "chan-1" },
    ]);
    const half = await discoverGroups(client, [], ["asg-11"], ALL);
    expect(half.bindings).toEqual([]);
    expect(half.skipped.map((s) => [s.scaling_group_id, s.reason])).toEqual([["asg-11", "invalid_tags"]]);
    expect(tagCalls().map((c) => c.method)).toEqual(["GET"]);
  });

  it("stops on an error reading a named group's tags other than its absence", async () => {
    emu.control.addFault({
      method: "GET",
      path: "asg-00/tags$",
      status: 403,
      body: { error: { code: "AS.0011", message: "no permission" } },
    });
    await expect(discoverGroups(client, [], ["asg-00"], ALL)).rejects.toMatchObject({ code: "AS.0011" });
  });

  it("reads exactly 20 named groups one by one", async () => {
    const named = Array.from({ length: 20 }, (_, i) => `asg-${String(i).padStart(2, "0")}`);
    const set = await discoverGroups(client, [], named, ALL);
    expect(set.bindings).toHaveLength(20);
    expect(tagCalls().filter((c) => c.method === "GET")).toHaveLength(20);
  });

  it("reads at most 20 named groups one by one; more cost one query-by-tag of every tagged group", async () => {
    const named = Array.from({ length: 21 }, (_, i) => `asg-${String(i).padStart(2, "0")}`);
    const set = await discoverGroups(client, [], [...named, ...named], ALL);
    expect(set.bindings).toHaveLength(20);
    expect(tagCalls().map((c) => [c.method, c.body])).toEqual([
      [
        "POST",
        { action: "filter", tags: [{ key: "channel-autoscaler-channel", values: [] }], limit: "1000" },
      ],
    ]);
  });

  it("puts no named id that is not an id into a path, and reads each named group once", async () => {
    const set = await discoverGroups(client, [], ["asg-00", "asg-00", "a.b", "../asg-01", "asg-01/x"], ALL);
    expect(set.bindings.map((b) => b.scaling_group_id)).toEqual(["asg-00"]);
    expect(tagCalls().map((c) => [c.method, c.path.split("/scaling_group_tag/")[1]])).toEqual([
      ["GET", "asg-00/tags"],
      ["POST", "resource_instances/action"],
    ]);
  });

  it("does not look for the groups sharing a channel that TAG_BINDINGS_ALLOWED does not list", async () => {
    const only = (channel: string): TagBindingAllowList => [
      { gateway: "roma", instance_id: "roma-1", vpc_channel_id: channel },
    ];
    // asg-00 is on chan-0, asg-01 on chan-1.
    const set = await discoverGroups(client, [], ["asg-00", "asg-01"], only("chan-1"));
    expect(set.bindings.map((b) => b.scaling_group_id)).toEqual(["asg-01"]);
    expect(set.skipped.map((s) => [s.scaling_group_id, s.reason])).toEqual([["asg-00", "not_allowed"]]);
    expect(tagCalls().map((c) => c.method)).toEqual(["GET", "GET", "POST"]);
    expect((tagCalls()[2]!.body as { tags: unknown }).tags).toEqual([
      { key: "channel-autoscaler-channel", values: ["chan-1"] },
      { key: "channel-autoscaler-member-group", values: ["web1"] },
    ]);
  });

  it("lists each group once when pages overlap, and stops a listing that repeats itself", async () => {
    emu.control.setOptions({ pageSizeCap: 7 });
    const page = (from: number, length = 7) => ({
      resources: Array.from({ length }, (_, i) => ({
        resource_id: `asg-${String(from + i).padStart(2, "0")}`,
        tags: tagged(from + i, `web${from + i}`).tags,
      })),
      total_count: 20,
    });
    // The second page starts two groups before the first ended: those two are listed twice.
    emu.control.addFault(
      [page(0), page(5), page(12, 8)].map((body) => ({
        method: "POST",
        path: "resource_instances/action$",
        status: 200,
        body,
      })),
    );
    const set = await discoverAll(client, [], ALL);
    expect(set.bindings.map((b) => b.scaling_group_id)).toEqual(
      Array.from({ length: 20 }, (_, i) => `asg-${String(i).padStart(2, "0")}`),
    );
    expect(tagCalls()).toHaveLength(3);

    emu.control.clearCalls();
    emu.control.addFault({
      method: "POST",
      path: "resource_instances/action$",
      status: 200,
      body: page(0),
      times: 0,
    });
    await expect(discoverAll(client, [], ALL)).rejects.toMatchObject({
      code: "PAGING_INCONSISTENT",
      message: expect.stringMatching(/page 2 \(offset 7\) holds no id that earlier pages did not/),
    });
    expect(tagCalls()).toHaveLength(2);
  });
});
