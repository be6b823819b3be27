/**
 * Consent from the gateway side for tag bindings, through the built bundles against the emulator
 * (docs/configuration.md, "Bindings from AS group tags"). Tagging an AS group takes AS rights alone; the functions'
 * agency can write any channel. So a tag binding acts only on a channel TAG_BINDINGS_ALLOWED lists,
 * and only on a member group that is absent (then created with the ownership remark) or carries it.
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

const tagsFor = (channel: string, memberGroup: string) =>
  Object.entries({
    "channel-autoscaler-channel": channel,
    "channel-autoscaler-instance": "roma-1",
    "channel-autoscaler-member-group": memberGroup,
    "channel-autoscaler-drain-seconds": "0",
  }).map(([key, value]) => ({ key, value }));

const handMember = (id: string) => ({ ecs_id: id, ecs_name: id, member_group_name: "legacy", weight: 5 });

/**
 * chan-1 holds `legacy`, a member group an operator manages by hand (two members, no ownership
 * remark), and `web`, ours; chan-2 is another team's channel. asg-t is tagged by someone with AS
 * rights only.
 */
function state(tTags: { key: string; value: string }[], over: { hanging?: boolean } = {}): StateInput {
  return {
    gateways: romaInstance([
      romaChannel({
        id: "chan-1",
        groups: ["legacy", "web"],
        unmanaged: ["legacy"],
        members: [handMember("hand-1"), handMember("hand-2")],
      }),
      romaChannel({ id: "chan-2", groups: ["api"], unmanaged: ["api"] }),
    ]),
    scaling_groups: [
      {
        scaling_group_id: "asg-t",
        instances: [instance("t-1", over.hanging ? "PENDING_WAIT" : "INSERVICE")],
        tags: tTags,
        ...(over.hanging && {
          lifecycle_hooks: [{ lifecycle_hook_name: "launch", lifecycle_hook_type: "INSTANCE_LAUNCHING" }],
          hanging: [{ instance_id: "t-1", lifecycle_hook_name: "launch", lifecycle_action_key: "key-t-1" }],
        }),
      },
      { scaling_group_id: "asg-env", instances: [instance("e-1")] },
    ],
  } as StateInput;
}

function env(allowed: string, bindings: Binding[] = []): Record<string, string> {
  const all = envFor(emu, bindings, { BINDINGS_FROM_TAGS: "true", TAG_BINDINGS_ALLOWED: allowed });
  if (bindings.length > 0) return all;
  const { BINDINGS: _, ...rest } = all;
  return rest;
}

const channel = (id: string) => emu.control.state().gateways[0]!.channels.find((c) => c.id === id)!;
const membersOf = (id: string, group: string) =>
  channel(id)
    .members.filter((m) => m.member_group_name === group)
    .map((m) => ({ ecs_id: m.ecs_id, status: m.status, weight: m.weight }));
const channelCalls = (id: string) =>
  emu.control.calls().filter((c) => c.path.includes(`/vpc-channels/${id}`));

const HAND_MEMBERS = [
  { ecs_id: "hand-1", status: 1, weight: 5 },
  { ecs_id: "hand-2", status: 1, weight: 5 },
];

beforeEach(() => {
  emu.control.reset();
});

describe("a tag naming a hand-managed member group", () => {
  it("leaves the group untouched and dead-letters MEMBER_GROUP_NOT_MANAGED (it used to replace both members)", async () => {
    emu.control.load(state(tagsFor("chan-1", "legacy")));
    const run = await invoke("reconcile", timerEvent(), { env: env("roma:roma-1/*") });
    expect(run.error).toBeUndefined();
    expect(membersOf("chan-1", "legacy")).toEqual(HAND_MEMBERS);
    expect(writes(emu)).toEqual([]);
    expect(run.summary).toMatchObject({ bindings: 1, added: 0, disabled: 0, removed: 0, dead_lettered: 1 });
    expect(run.deadLetters).toEqual([
      {
        dead_letter: true,
        version: 1,
        time: expect.any(String),
        request_id: "req-test",
        function: "channel-autoscaler-test",
        action: "tag_binding",
        binding: {
          scaling_group_id: "asg-t",
          instance_id: "roma-1",
          vpc_channel_id: "chan-1",
          member_group_name: "legacy",
        },
        instance_ids: [],
        error: {
          status: null,
          code: "MEMBER_GROUP_NOT_MANAGED",
          message:
            'member group legacy of channel roma/roma-1/chan-1 exists and is not managed by channel-autoscaler (it has no member_group_remark, not "managed-by=channel-autoscaler"): the tag binding of scaling group asg-t is not applied and the group is left untouched',
        },
        attempts: 1,
        replay: { scaling_group_ids: ["asg-t"] },
        detail: {
          source: "tags",
          channel: "roma/roma-1/chan-1",
          member_group_name: "legacy",
          member_group_remark: "",
        },
      },
    ]);
  });

  it("says which remark the group has, and holds a tag binding BINDINGS shares the group with; BINDINGS goes on", async () => {
    emu.control.load({
      ...state(tagsFor("chan-1", "legacy")),
      gateways: romaInstance([
        {
          ...romaChannel({ id: "chan-1", groups: ["legacy"], members: [handMember("hand-1")] }),
          member_groups: [{ member_group_name: "legacy", member_group_remark: "owner=payments" }],
        },
      ]),
    } as StateInput);
    const declared: Binding = {
      scaling_group_id: "asg-env",
      instance_id: "roma-1",
      vpc_channel_id: "chan-1",
      member_group_name: "legacy",
      drain_seconds: 0,
    };
    const run = await invoke("reconcile", timerEvent(), { env: env("roma:roma-1/*", [declared]) });
    expect(run.error).toBeUndefined();
    expect(run.deadLetters).toMatchObject([
      {
        binding: { scaling_group_id: "asg-t" },
        error: {
          code: "MEMBER_GROUP_NOT_MANAGED",
          message: expect.stringContaining('its member_group_remark is "owner=payments"'),
        },
      },
    ]);
    // The deployer named the group in BINDINGS: it is reconciled with asg-env alone (hand-1 is not an
    // instance of asg-env, so it goes); asg-t's instance is never added.
    expect(membersOf("chan-1", "legacy")).toEqual([{ ecs_id: "e-1", status: 1, weight: 1 }]);
  });

  it("leaves the launch hook of a tagged instance waiting, though a hand-made member stands for it", async () => {
    // Someone registered t-1 by hand: the group would look converged for it.
    emu.control.load({
      ...state(tagsFor("chan-1", "legacy"), { hanging: true }),
      gateways: romaInstance([
        romaChannel({
          id: "chan-1",
          groups: ["legacy"],
          unmanaged: ["legacy"],
          members: [{ ecs_id: "t-1", ecs_name: "web-t-1", member_group_name: "legacy" }],
        }),
      ]),
    } as StateInput);
    const run = await invoke("reconcile", timerEvent(), { env: env("roma:roma-1/*") });
    expect(run.deadLetters.map((d) => (d.error as { code: string }).code)).toEqual([
      "MEMBER_GROUP_NOT_MANAGED",
    ]);
    expect(run.summary).toMatchObject({ hooks_completed: 0 });
    expect(run.summary!.plan).toContainEqual(
      expect.objectContaining({
        action: "wait_hook",
        instance_id: "t-1",
        reason: "a channel of this group failed this run",
      }),
    );
    expect(writes(emu)).toEqual([]);
    expect(emu.control.state().scaling_groups[0]!.hanging).toHaveLength(1);
  });

  it("takes the group over once its owner sets the remark: the tagged group's instances, and only those", async () => {
    emu.control.load({
      ...state(tagsFor("chan-1", "legacy")),
      gateways: romaInstance([
        {
          ...romaChannel({
            id: "chan-1",
            groups: ["legacy"],
            members: [handMember("hand-1"), handMember("hand-2")],
          }),
          member_groups: [{ member_group_name: "legacy", member_group_remark: MANAGED_REMARK }],
        },
      ]),
    } as StateInput);
    const run = await invoke("reconcile", timerEvent(), { env: env("roma:roma-1/*") });
    expect(run.deadLetters).toEqual([]);
    expect(membersOf("chan-1", "legacy").map((m) => m.ecs_id)).toEqual(["t-1"]);
  });
});

describe("a tag naming a member group that does not exist yet", () => {
  it("creates it with the ownership remark, fills it, and a converged run reads nothing more than the members", async () => {
    emu.control.load(state(tagsFor("chan-1", "blue")));
    const first = await invoke("reconcile", timerEvent(), { env: env("roma:roma-1/chan-1") });
    expect(first.deadLetters).toEqual([]);
    expect(channel("chan-1").member_groups.find((g) => g.member_group_name === "blue")).toMatchObject({
      member_group_remark: MANAGED_REMARK,
    });
    expect(membersOf("chan-1", "blue").map((m) => m.ecs_id)).toEqual(["t-1"]);
    expect(membersOf("chan-1", "legacy")).toEqual(HAND_MEMBERS);

    emu.control.clearCalls();
    const second = await invoke("reconcile", timerEvent(), { env: env("roma:roma-1/chan-1") });
    expect(second.summary).toMatchObject({ unchanged: 1, dead_lettered: 0 });
    // One member listing; no channel read for the ownership check, since nothing is to be written.
    expect(channelCalls("chan-1").map((c) => `${c.method} ${c.path.split("/vpc-channels/")[1]}`)).toEqual([
      "GET chan-1/members",
    ]);
  });

  it("checks a group that has members against the channel once a write is due (one read), then writes", async () => {
    emu.control.load(state(tagsFor("chan-1", "web")));
    const env1 = env("roma:roma-1/chan-1");
    await invoke("reconcile", timerEvent(), { env: env1 });
    emu.control.setInstance({ scaling_group_id: "asg-t", ...instance("t-2") });
    emu.control.clearCalls();
    const run = await invoke("reconcile", timerEvent(), { env: env1 });
    expect(run.summary).toMatchObject({ added: 1, dead_lettered: 0 });
    expect(channelCalls("chan-1").map((c) => `${c.method} ${c.path.split("/vpc-channels/")[1]}`)).toEqual([
      "GET chan-1/members",
      "GET chan-1",
      "POST chan-1/members",
    ]);
  });
});

describe("a tag naming a channel TAG_BINDINGS_ALLOWED does not list", () => {
  it.each([
    ["the timer's discovery", "reconcile", timerEvent()],
    ["a scaling event", "scaling-events", smnEvent(JSON.stringify({ scaling_group_id: "asg-t" }))],
  ] as const)(
    "is skipped with TAG_BINDING_NOT_ALLOWED, and that channel sees no call at all (%s)",
    async (_, fn, event) => {
      emu.control.load(state(tagsFor("chan-2", "api")));
      const run = await invoke(fn, event, { env: env("roma:roma-1/chan-1,apig:roma-1/*") });
      expect(run.error).toBeUndefined();
      expect(channelCalls("chan-2")).toEqual([]);
      expect(writes(emu)).toEqual([]);
      expect(run.summary).toMatchObject({ bindings: 0, skipped: 1, dead_lettered: 1 });
      expect(run.deadLetters).toEqual([
        {
          dead_letter: true,
          version: 1,
          time: expect.any(String),
          request_id: "req-test",
          function: "channel-autoscaler-test",
          action: "tag_binding",
          binding: {
            scaling_group_id: "asg-t",
            instance_id: "roma-1",
            vpc_channel_id: "chan-2",
            member_group_name: "api",
          },
          instance_ids: [],
          error: {
            status: null,
            code: "TAG_BINDING_NOT_ALLOWED",
            message:
              'scaling group asg-t skipped: tag channel-autoscaler-channel "chan-2": channel roma/roma-1/chan-2 is not in TAG_BINDINGS_ALLOWED (where tag bindings may point; its entries read <gateway>:<instance_id>/<vpc_channel_id> or <gateway>:<instance_id>/* (gateway roma or apig)); nothing is read or written on that channel for it',
          },
          attempts: 1,
          replay: { scaling_group_ids: ["asg-t"] },
          detail: {
            scaling_group_id: "asg-t",
            source: "tags",
            problems: [
              {
                tag: "channel-autoscaler-channel",
                value: "chan-2",
                rule: "channel roma/roma-1/chan-2 is not in TAG_BINDINGS_ALLOWED (where tag bindings may point; its entries read <gateway>:<instance_id>/<vpc_channel_id> or <gateway>:<instance_id>/* (gateway roma or apig))",
              },
            ],
          },
        },
      ]);
    },
  );
});
