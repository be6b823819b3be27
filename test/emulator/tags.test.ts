import { createRequire } from "node:module";
import { beforeEach, describe, expect, it } from "vitest";
import { emulatorForFile } from "../support/emulator-for-file";
import type { Emulator } from "./index";

/**
 * The emulator's AS tag APIs over real sockets, signed with the official SDK signer. Request and
 * response shapes: official Go SDK `services/as/v1` (`GenReqDefForListResourceInstances`,
 * `GenReqDefForListScalingTagInfosByResourceId`, models `QueryTagsOption`, `TagsMultiValue`,
 * `ListResourceInstancesResponse`, `ListScalingTagInfosByResourceIdResponse`).
 */

const require = createRequire(import.meta.url);
const { AKSKSigner } = require("@huaweicloud/huaweicloud-sdk-core/auth/AKSKSigner") as {
  AKSKSigner: { sign(request: unknown, credential: unknown): Record<string, string> };
};

const emu = await emulatorForFile();
const QUERY = `/autoscaling-api/v1/${emu.projectId}/scaling_group_tag/resource_instances/action`;
const tagsOf = (id: string) => `/autoscaling-api/v1/${emu.projectId}/scaling_group_tag/${id}/tags`;

async function call(e: Emulator, method: string, path: string, body?: unknown, sk = "EMULATORSK") {
  const headers = { "Content-Type": "application/json", "X-Project-Id": e.projectId };
  const signed = AKSKSigner.sign(
    { endpoint: `${e.url}${path}`, method, headers, queryParams: {}, data: body },
    { getAk: () => "EMULATORAK", getSk: () => sk },
  );
  delete signed.host;
  const res = await fetch(`${e.url}${path}`, {
    method,
    headers: signed,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are asserted field by field
  return { status: res.status, body: (text === "" ? undefined : JSON.parse(text)) as any };
}

const channelTag = (value: string) => ({ key: "channel-autoscaler-channel", value });

beforeEach(() => {
  emu.control.reset();
  emu.control.load({
    scaling_groups: Array.from({ length: 25 }, (_, i) => ({
      scaling_group_id: `asg-${String(i).padStart(2, "0")}`,
      tags:
        i < 20 ? [channelTag(i % 2 === 0 ? "chan-even" : "chan-odd"), { key: "team", value: `t${i}` }] : [],
    })),
  });
});

describe("AS query by tag (POST …/scaling_group_tag/resource_instances/action)", () => {
  it("filters by key with any value, pages by string limit and offset, newest first, with total_count", async () => {
    const filter = { action: "filter", tags: [{ key: "channel-autoscaler-channel", values: [] }] };
    const first = await call(emu, "POST", QUERY, { ...filter, limit: "8" });
    expect(first.status).toBe(200);
    expect(first.body.total_count).toBe(20);
    expect(first.body.resources).toHaveLength(8);
    expect(first.body.resources[0]).toEqual({
      resource_id: "asg-19",
      resource_detail: null,
      resource_name: "asg-19",
      tags: [channelTag("chan-odd"), { key: "team", value: "t19" }],
    });
    const ids: string[] = [];
    for (let offset = 0; offset < 20; offset += 8) {
      const page = await call(emu, "POST", QUERY, { ...filter, limit: "8", offset: String(offset) });
      ids.push(...page.body.resources.map((r: { resource_id: string }) => r.resource_id));
    }
    expect(new Set(ids).size).toBe(20);
  });

  it("matches listed values (any of them) and every filter key", async () => {
    const res = await call(emu, "POST", QUERY, {
      action: "filter",
      tags: [
        { key: "channel-autoscaler-channel", values: ["chan-even"] },
        { key: "team", values: ["t2", "t3", "t4"] },
      ],
    });
    expect(res.body.resources.map((r: { resource_id: string }) => r.resource_id).sort()).toEqual([
      "asg-02",
      "asg-04",
    ]);
    const count = await call(emu, "POST", QUERY, {
      action: "count",
      tags: [{ key: "channel-autoscaler-channel", values: ["chan-odd"] }],
    });
    expect(count.body).toEqual({ total_count: 10 });
  });

  it.each([
    ["limit above 1000", { limit: "1001" }],
    ["limit 0", { limit: "0" }],
    ["limit as a number (the SDK sends a string)", { limit: 1000 }],
    ["a negative offset", { offset: "-1" }],
    ["an unknown action", { action: "list" }],
    ["a filter key without values", { tags: [{ key: "channel-autoscaler-channel" }] }],
    [
      "a repeated filter key",
      {
        tags: [
          { key: "a", values: [] },
          { key: "a", values: [] },
        ],
      },
    ],
  ])("refuses %s with 400 AS.4001", async (_name, over) => {
    const res = await call(emu, "POST", QUERY, {
      action: "filter",
      tags: [{ key: "channel-autoscaler-channel", values: [] }],
      ...over,
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("AS.4001");
  });

  it("verifies the signature like every route", async () => {
    const res = await call(emu, "POST", QUERY, { action: "filter", tags: [] }, "WRONGSK");
    expect(res.status).toBe(401);
  });
});

describe("one group's tags (GET …/scaling_group_tag/{id}/tags)", () => {
  it("returns the tags, and follows control.setGroupTags", async () => {
    expect((await call(emu, "GET", tagsOf("asg-03"))).body).toEqual({
      tags: [channelTag("chan-odd"), { key: "team", value: "t3" }],
      sys_tags: [],
    });
    emu.control.setGroupTags("asg-03", [channelTag("chan-x")]);
    expect((await call(emu, "GET", tagsOf("asg-03"))).body.tags).toEqual([channelTag("chan-x")]);
    expect(emu.control.state().scaling_groups.find((g) => g.scaling_group_id === "asg-03")?.tags).toEqual([
      channelTag("chan-x"),
    ]);
  });

  it("answers 404 AS.2007 for a group that does not exist, and refuses a bad signature", async () => {
    const missing = await call(emu, "GET", tagsOf("asg-none"));
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe("AS.2007");
    expect((await call(emu, "GET", tagsOf("asg-01"), undefined, "WRONGSK")).status).toBe(401);
  });

  it("enforces AS's tag rules on the control side", () => {
    expect(() => emu.control.setGroupTags("asg-01", [{ key: "k", value: "has space" }])).toThrow(
      /tag values/,
    );
    expect(() =>
      emu.control.setGroupTags(
        "asg-01",
        Array.from({ length: 11 }, (_, i) => ({ key: `k${i}`, value: "v" })),
      ),
    ).toThrow(/at most 10/);
  });
});
