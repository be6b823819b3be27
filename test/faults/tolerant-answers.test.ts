/**
 * Answers the official models allow, through the built bundles against the emulator: an AS instance
 * record without an `instance_id`, an ECS answer that leaves out some of the servers asked for, and
 * instance names with characters a member's `ecs_name` may not hold.
 */
import { beforeEach, describe, expect, it } from "vitest";
import type { StateInput } from "../emulator";
import { emulatorForFile } from "../support/emulator-for-file";
import {
  apigChannel,
  apigInstance,
  type Binding,
  baseState,
  envFor,
  instance,
  invoke,
  members,
  romaChannel,
  romaInstance,
  timerEvent,
  webBinding,
  writes,
} from "../support/harness";

const emu = await emulatorForFile();
beforeEach(() => {
  emu.control.reset();
});

const run = (bindings: Binding[] = [webBinding]) =>
  invoke("reconcile", timerEvent(), { env: envFor(emu, bindings) });
const webMembers = () =>
  members(emu)
    .filter((m) => m.member_group_name === "web")
    .map((m) => [m.ecs_id, m.ecs_name])
    .sort();

describe("an AS instance record without instance_id", () => {
  it("is skipped with a warning; the page's other instances are reconciled", async () => {
    emu.control.load(baseState({ instances: [instance("i-1"), instance("i-2")] }));
    emu.control.addFault({
      method: "GET",
      path: "/scaling_group_instance/asg-1/list$",
      status: 200,
      body: {
        total_number: 4,
        scaling_group_instances: [
          instance("i-1"),
          { instance_name: "web-new", life_cycle_state: "PENDING", health_status: "INITIALIZING" },
          { ...instance("i-2"), instance_id: "" },
          instance("i-2"),
        ],
      },
    });
    const inv = await run();
    expect(inv.error).toBeUndefined();
    expect(inv.deadLetters).toEqual([]);
    expect(webMembers()).toEqual([
      ["i-1", "web-i-1"],
      ["i-2", "web-i-2"],
    ]);
    const warnings = inv.logs.filter((l) => l.level === "warn");
    expect(warnings).toEqual([
      expect.objectContaining({
        msg: "AS listed instance records without an instance_id; they are skipped",
        scaling_group_id: "asg-1",
        records_without_id: 2,
      }),
    ]);
  });
});

/** An ip channel (members need the private address ECS knows) and two instances with addresses. */
function ipState(): StateInput {
  return {
    gateways: romaInstance([romaChannel({ memberType: "ip" })]),
    scaling_groups: [{ scaling_group_id: "asg-1", instances: [instance("i-1"), instance("i-2")] as never }],
    servers: [
      { id: "i-1", ipv4: "10.0.0.1" },
      { id: "i-2", ipv4: "10.0.0.2" },
    ],
  };
}

const serverLookups = () =>
  emu.control
    .calls()
    .filter((c) => c.method === "GET" && c.path.endsWith("/cloudservers/detail"))
    .map((c) => String(c.query.server_id).split(",").sort().join(","));

/** ECS answers the first `times` lookups with i-1 alone, whatever was asked. */
function ecsLeavesOutI2(times: number) {
  emu.control.addFault({
    method: "GET",
    path: "/cloudservers/detail$",
    status: 200,
    times,
    body: {
      count: 1,
      servers: [
        {
          id: "i-1",
          addresses: {
            "vpc-1": [{ version: "4", addr: "10.0.0.1", "OS-EXT-IPS:type": "fixed", primary: true }],
          },
        },
      ],
    },
  });
}

describe("an ECS answer that leaves out servers asked for", () => {
  it("asks again for just those, and adds every member", async () => {
    emu.control.load(ipState());
    ecsLeavesOutI2(1);
    const inv = await run();
    expect(inv.error).toBeUndefined();
    expect(inv.deadLetters).toEqual([]);
    expect(serverLookups()).toEqual(["i-1,i-2", "i-2"]);
    expect(
      members(emu)
        .map((m) => m.host)
        .sort(),
    ).toEqual(["10.0.0.1", "10.0.0.2"]);
  });

  it("still left out, they are a transient failure of those instances, not 'ECS does not know them'", async () => {
    emu.control.load(ipState());
    ecsLeavesOutI2(2);
    const inv = await run();
    expect(serverLookups()).toEqual(["i-1,i-2", "i-2"]);
    expect(members(emu).map((m) => m.host)).toEqual(["10.0.0.1"]);
    expect(inv.deadLetters).toEqual([
      expect.objectContaining({
        action: "resolve_address",
        instance_ids: ["i-2"],
        error: {
          status: null,
          code: "ANSWER_INCOMPLETE",
          message: "privateAddresses: ecs left 1 of the ids asked for out of its answer twice (i-2)",
        },
        replay: { scaling_group_ids: ["asg-1"] },
      }),
    ]);

    // Transient: the binding's only failure, so the invocation throws for the platform's retry.
    expect(inv.error?.message).toMatch(/no binding could be reconciled: 1 failed for transient reasons/);

    // The next run asks again, and gets the whole answer.
    emu.control.clearCalls();
    const next = await run();
    expect(next.deadLetters).toEqual([]);
    expect(
      members(emu)
        .map((m) => m.host)
        .sort(),
    ).toEqual(["10.0.0.1", "10.0.0.2"]);
  });
});

describe("an ECS answer that leaves out a member's server tags (replace_unhealthy)", () => {
  const TAG = "channel-autoscaler-unhealthy-since";
  const HOUR_AGO = new Date(Date.now() - 3_600_000).toISOString();
  const apig: Binding = {
    scaling_group_id: "asg-1",
    gateway: "apig",
    instance_id: "apig-1",
    vpc_channel_id: "chan-a",
    member_group_name: "web",
    drain_seconds: 0,
    replace_unhealthy: { after_seconds: 300, max_unhealthy_fraction: 1 },
  };

  it("leaves the unread unhealthy-since tag as it is, instead of restarting the spell at now", async () => {
    const since = String(Math.floor(Date.now() / 1000) - 200);
    emu.control.load({
      gateways: apigInstance([
        apigChannel({
          members: ["i-1", "i-2"].map((id) => ({
            ecs_id: id,
            ecs_name: `web-${id}`,
            member_group_name: "web",
            create_time: HOUR_AGO,
            health_status: "unhealthy" as const,
          })),
        }),
      ]),
      scaling_groups: [
        {
          scaling_group_id: "asg-1",
          instances: ["i-1", "i-2"].map((id) => ({ ...instance(id), create_time: HOUR_AGO })),
        },
      ],
      servers: [
        { id: "i-1", tags: { [TAG]: since } },
        { id: "i-2", tags: {} },
      ],
    } as StateInput);
    // Both lookups answer for i-2 alone.
    emu.control.addFault({
      method: "GET",
      path: "/cloudservers/detail$",
      status: 200,
      times: 2,
      body: { count: 1, servers: [{ id: "i-2", tags: [] }] },
    });
    const inv = await run([apig]);
    expect(inv.error).toBeUndefined();
    expect(serverLookups()).toEqual(["i-1,i-2", "i-1"]);
    const tagWrites = writes(emu).filter((c) => c.path.includes("/tags/action"));
    // i-2 had no tag: its first unhealthy reading sets one; i-1's is not touched.
    expect(tagWrites.map((c) => c.path.split("/").at(-3))).toEqual(["i-2"]);
    expect(emu.control.state().servers.find((x) => x.id === "i-1")?.tags).toEqual({ [TAG]: since });
    expect(inv.logs.filter((l) => l.level === "warn")).toEqual([
      expect.objectContaining({
        msg: "ECS left some servers out of its answer; they are not judged this run, nor is the budget",
        instance_ids: ["i-1"],
        error: expect.objectContaining({ code: "ANSWER_INCOMPLETE" }),
      }),
    ]);
  });
});

describe("instance names a member's ecs_name may not hold", () => {
  it("are reduced to the API's characters, so one name no longer fails the channel's whole batch of adds", async () => {
    const named = (id: string, instance_name: string) => ({ ...instance(id), instance_name });
    emu.control.load(
      baseState({
        instances: [
          named("i-1", "web-1"),
          named("i-2", "wéb server №2"),
          named("i-3", "服务器-3"),
          named("i-4", "🚀🚀"),
          named("i-5", `${"a".repeat(70)}`),
        ],
      }),
    );
    const inv = await run();
    expect(inv.deadLetters).toEqual([]);
    expect(inv.summary).toMatchObject({ added: 5 });
    expect(webMembers()).toEqual([
      ["i-1", "web-1"],
      ["i-2", "web-server-No2"],
      ["i-3", "服务器-3"],
      ["i-4", "i-4"],
      ["i-5", "a".repeat(64)],
    ]);
    // One POST for the five.
    expect(writes(emu).filter((c) => c.method === "POST" && c.path.endsWith("/members"))).toHaveLength(1);
  });
});
