/**
 * Hostile and broken answers to tag discovery and hostile SMN messages, through the built bundles
 * against the emulator (docs/configuration.md, "Bindings from AS group tags"; docs/architecture.md, "Failure handling"). A discovery
 * that does not add up is not retried within the run: nothing is reconciled, BINDINGS included (a tag
 * binding may share their member group), and the invocation throws for the platform's retry.
 */
import { beforeEach, describe, expect, it } from "vitest";
import type { StateInput } from "../emulator";
import { emulatorForFile } from "../support/emulator-for-file";
import {
  type Binding,
  envFor,
  instance,
  invoke,
  MANAGED_REMARK,
  romaChannel,
  romaInstance,
  smnEvent,
  timerEvent,
  writes,
} from "../support/harness";

const emu = await emulatorForFile();
const QUERY = "/scaling_group_tag/resource_instances/action";

const tagsFor = (channel: string, memberGroup = "web") =>
  Object.entries({
    "channel-autoscaler-channel": channel,
    "channel-autoscaler-instance": "roma-1",
    "channel-autoscaler-member-group": memberGroup,
    "channel-autoscaler-drain-seconds": "0",
  }).map(([key, value]) => ({ key, value }));

/** A page of the query-by-tag API as AS answers it (`ListResourceInstancesResponse`). */
const resource = (id: string, channel = "chan-1") => ({
  resource_id: id,
  resource_detail: null,
  resource_name: id,
  tags: tagsFor(channel),
});

/**
 * asg-a and asg-b share chan-1/web (a member group of ours) and are converged; BINDINGS binds asg-env
 * to chan-2/api, whose instance is not a member yet: any run that reconciles anything writes to chan-2.
 */
function state(): StateInput {
  return {
    gateways: romaInstance([
      romaChannel({
        id: "chan-1",
        groups: ["web"],
        members: [
          { ecs_id: "a-1", ecs_name: "web-a-1", member_group_name: "web" },
          { ecs_id: "b-1", ecs_name: "web-b-1", member_group_name: "web" },
        ],
      }),
      romaChannel({ id: "chan-2", groups: ["api"] }),
    ]),
    scaling_groups: [
      { scaling_group_id: "asg-a", instances: [instance("a-1")], tags: tagsFor("chan-1") },
      { scaling_group_id: "asg-b", instances: [instance("b-1")], tags: tagsFor("chan-1") },
      { scaling_group_id: "asg-c", instances: [instance("c-1")], tags: tagsFor("chan-3") },
      { scaling_group_id: "asg-env", instances: [instance("e-1")] },
    ],
  } as StateInput;
}

const envBinding: Binding = {
  scaling_group_id: "asg-env",
  instance_id: "roma-1",
  vpc_channel_id: "chan-2",
  member_group_name: "api",
  drain_seconds: 0,
};

const env = () =>
  envFor(emu, [envBinding], {
    BINDINGS_FROM_TAGS: "true",
    TAG_BINDINGS_ALLOWED: "roma:roma-1/*",
    RETRY_MAX_ATTEMPTS: "2",
  });

const tagCalls = () => emu.control.calls().filter((c) => c.path.includes("/scaling_group_tag/"));
const queries = () => tagCalls().filter((c) => c.path.endsWith(QUERY));

/** The query-by-tag answers, one per call in order: each a fault used once. */
function pages(...bodies: unknown[]) {
  emu.control.addFault(bodies.map((body) => ({ method: "POST", path: `${QUERY}$`, status: 200, body })));
}

beforeEach(() => {
  emu.control.reset();
  emu.control.load(state());
});

describe("tag discovery pages through the same guard as every listing", () => {
  it("a server repeating one page: stops at the second call, reconciles nothing (BINDINGS included), throws", async () => {
    // Every answer is asg-a's page with a total of two: read naively, asg-b is never listed, and
    // chan-1/web, reconciled without it, would lose b-1.
    emu.control.addFault({
      method: "POST",
      path: `${QUERY}$`,
      status: 200,
      body: { resources: [resource("asg-a")], total_count: 2 },
      times: 0,
    });
    const run = await invoke("reconcile", timerEvent(), { env: env() });
    expect(run.error?.name).toBe("DiscoveryFailedError");
    expect(run.error?.message).toMatch(/PAGING_INCONSISTENT|holds no id that earlier pages did not/);
    expect(queries()).toHaveLength(2);
    expect(writes(emu)).toEqual([]);
    expect(emu.control.calls().filter((c) => c.path.includes("/vpc-channels/"))).toEqual([]);
    expect(run.deadLetters).toMatchObject([
      { action: "discover_bindings", error: { code: "PAGING_INCONSISTENT" } },
    ]);
  });

  it("a total that grows during the listing: nothing reconciled, the invocation throws", async () => {
    pages(
      { resources: [resource("asg-a")], total_count: 2 },
      { resources: [resource("asg-b")], total_count: 3 },
    );
    const run = await invoke("reconcile", timerEvent(), { env: env() });
    expect(run.error?.name).toBe("DiscoveryFailedError");
    expect(run.error?.message).toMatch(/the total grew from 2 to 3/);
    expect(queries()).toHaveLength(2);
    expect(writes(emu)).toEqual([]);
  });

  it("a group listed on two pages is one binding", async () => {
    pages(
      { resources: [resource("asg-a"), resource("asg-b")], total_count: 3 },
      { resources: [resource("asg-b"), resource("asg-c", "chan-3")], total_count: 3 },
    );
    const run = await invoke("backfill", { dry_run: true }, { env: env() });
    expect(run.error).toBeUndefined();
    // asg-env from BINDINGS, then asg-a, asg-b and asg-c from tags: four, not five.
    expect(run.summary).toMatchObject({ bindings: 4, bindings_discovered: 3 });
    expect(queries()).toHaveLength(2);
  });

  it("a listed id that is not an id is a listing not to be trusted: nothing reconciled, the invocation throws", async () => {
    emu.control.addFault({
      method: "POST",
      path: `${QUERY}$`,
      status: 200,
      body: { resources: [resource("asg-a"), resource("../asg-b")], total_count: 2 },
      times: 0,
    });
    const run = await invoke("reconcile", timerEvent(), { env: env() });
    expect(run.error?.name).toBe("DiscoveryFailedError");
    expect(run.deadLetters).toMatchObject([
      { action: "discover_bindings", error: { code: "MALFORMED_RESPONSE" } },
    ]);
    expect(writes(emu)).toEqual([]);
  });

  it("a discovery refused for good (403) throws too: the platform's retry and on-failure destination take over", async () => {
    emu.control.addFault({
      method: "POST",
      path: `${QUERY}$`,
      status: 403,
      body: { error: { code: "AS.0011", message: "no permission" } },
      times: 0,
    });
    const run = await invoke("reconcile", timerEvent(), { env: env() });
    expect(run.error?.name).toBe("DiscoveryFailedError");
    expect(run.error?.message).toMatch(/AS.0011|no permission/);
    expect(queries()).toHaveLength(1);
    expect(writes(emu)).toEqual([]);
    expect(run.deadLetters).toMatchObject([
      { action: "discover_bindings", error: { status: 403, code: "AS.0011" }, attempts: 1 },
    ]);
  });
});

describe("tag reads an SMN message costs", () => {
  it("a message naming more than 20 unbound groups costs one query-by-tag, not a tag read per group", async () => {
    const named = Array.from({ length: 25 }, (_, i) => `asg-unbound-${i}`);
    const run = await invoke(
      "scaling-events",
      smnEvent(JSON.stringify({ scaling_group_id: named }), JSON.stringify({ scaling_group_id: "asg-a" })),
      { env: env() },
    );
    expect(run.error).toBeUndefined();
    expect(tagCalls().map((c) => c.method)).toEqual(["POST"]);
    // asg-a is reconciled with asg-b, which shares its member group: converged, nothing written.
    expect(run.summary).toMatchObject({ bindings: 2, bindings_discovered: 2, unchanged: 2 });
    expect(writes(emu)).toEqual([]);
  });

  it("20 named groups are read one by one, each once", async () => {
    const named = Array.from({ length: 19 }, (_, i) => `asg-unbound-${i}`);
    const run = await invoke(
      "scaling-events",
      smnEvent(JSON.stringify({ scaling_group_id: [...named, "asg-a"] })),
      {
        env: env(),
      },
    );
    expect(run.error).toBeUndefined();
    const reads = tagCalls().filter((c) => c.method === "GET");
    expect(reads).toHaveLength(20);
    expect(new Set(reads.map((c) => c.path)).size).toBe(20);
    expect(run.summary).toMatchObject({ bindings: 2 });
  });

  it("a named group id that is not an id is never put into a path", async () => {
    const run = await invoke(
      "scaling-events",
      smnEvent(JSON.stringify({ scaling_group_id: ["a..b", "x.y"] })),
      {
        env: env(),
      },
    );
    expect(run.error).toBeUndefined();
    expect(tagCalls()).toEqual([]);
    expect(run.summary).toMatchObject({ bindings: 0 });
  });
});

describe("hostile keys in an SMN message", () => {
  it.each(["constructor", "__proto__", "toString", "hasOwnProperty", "valueOf"])(
    "a key %s neither throws nor selects anything: the record's group is reconciled, the other records too",
    async (key) => {
      const hostile = `{"${key}": "x", "nested": {"${key}": {"a": 1}}, "scaling_group_id": "asg-env"}`;
      const run = await invoke(
        "scaling-events",
        smnEvent(hostile, JSON.stringify({ scaling_group_id: "asg-a" })),
        {
          env: env(),
        },
      );
      expect(run.error).toBeUndefined();
      expect(run.summary).toMatchObject({ bindings: 3, added: 1, dead_lettered: 0 });
      expect(emu.control.state().gateways[0]!.channels[1]!.members.map((m) => m.ecs_id)).toEqual(["e-1"]);
    },
  );
});

it("the fixture's own member group carries the ownership remark", () => {
  expect(emu.control.state().gateways[0]!.channels[0]!.member_groups).toMatchObject([
    { member_group_name: "web", member_group_remark: MANAGED_REMARK },
  ]);
});
