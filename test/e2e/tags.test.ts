import { beforeEach, describe, expect, it } from "vitest";
import type { Emulator, StateInput } from "../emulator";
import { emulatorForFile } from "../support/emulator-for-file";
import {
  envFor,
  instance,
  invoke,
  romaChannel,
  romaInstance,
  smnEvent,
  timerEvent,
  writes,
} from "../support/harness";

/**
 * BINDINGS_FROM_TAGS through the built bundles (docs/configuration.md, "Bindings from AS group tags"): scaling groups bind themselves with
 * tags, discovered with AS's query-by-tag API; an SMN event reads only its group's tags.
 */

const emu = await emulatorForFile();
const URN = "urn:fss:cn-north-4:proj:function:default:channel-autoscaler-backfill:latest";
const QUERY = "/scaling_group_tag/resource_instances/action";

const bindingTags = (channel: string, memberGroup: string, extra: Record<string, string> = {}) =>
  Object.entries({
    "channel-autoscaler-channel": channel,
    "channel-autoscaler-instance": "roma-1",
    "channel-autoscaler-member-group": memberGroup,
    "channel-autoscaler-drain-seconds": "0",
    ...extra,
  }).map(([key, value]) => ({ key, value }));

/** Two channels; asg-a1 and asg-a2 share chan-1/web (one group per AZ), asg-b on chan-2/api, asg-x untagged. */
function state(over: Partial<Record<"a1" | "a2" | "b", { key: string; value: string }[]>> = {}): StateInput {
  const channel = (id: string, groups: string[]) =>
    romaChannel({ id, groups, members: [{ ecs_id: `foreign-${id}`, member_group_name: "other" }] });
  return {
    gateways: romaInstance([channel("chan-1", ["web", "other"]), channel("chan-2", ["other"])]),
    scaling_groups: [
      {
        scaling_group_id: "asg-a1",
        instances: [instance("a1-1"), instance("a1-2")],
        tags: over.a1 ?? bindingTags("chan-1", "web"),
      },
      {
        scaling_group_id: "asg-a2",
        instances: [instance("a2-1")],
        tags: over.a2 ?? bindingTags("chan-1", "web"),
      },
      {
        scaling_group_id: "asg-b",
        instances: [instance("b-1"), instance("b-2", "INSERVICE", "ERROR")],
        tags: over.b ?? bindingTags("chan-2", "api", { "channel-autoscaler-weight": "5" }),
      },
      { scaling_group_id: "asg-x", instances: [instance("x-1")], tags: [{ key: "owner", value: "team-x" }] },
    ],
    functions: [{ func_urn: URN }],
  } as StateInput;
}

/** The environment of a project that has no BINDINGS at all. */
function tagEnv(extra: Record<string, string> = {}): Record<string, string> {
  const { BINDINGS: _, ...env } = envFor(emu, [], {
    BINDINGS_FROM_TAGS: "true",
    TAG_BINDINGS_ALLOWED: "roma:roma-1/*",
    ...extra,
  });
  return env;
}

function memberIds(e: Emulator, channel: string, group: string): string[] {
  const gw = e.control.state().gateways.find((g) => g.instance_id === "roma-1");
  const c = gw?.channels.find((ch) => ch.id === channel);
  return (c?.members ?? [])
    .filter((m) => m.member_group_name === group)
    .map((m) => m.ecs_id ?? "")
    .sort();
}

const tagCalls = (e: Emulator) => e.control.calls().filter((c) => c.path.includes("/scaling_group_tag/"));

beforeEach(() => {
  emu.control.reset();
});

describe("bindings from AS group tags, through the built bundles", () => {
  it("converges every tagged group with no BINDINGS, in one discovery call, then writes nothing", async () => {
    emu.control.load(state());
    const env = tagEnv();
    const first = await invoke("reconcile", timerEvent(), { env });
    expect(first.error).toBeUndefined();
    expect(first.summary).toMatchObject({
      bindings: 3,
      bindings_discovered: 3,
      skipped: 0,
      dead_lettered: 0,
    });
    expect(memberIds(emu, "chan-1", "web")).toEqual(["a1-1", "a1-2", "a2-1"]);
    expect(memberIds(emu, "chan-2", "api")).toEqual(["b-1"]);
    const api = emu.control.state().gateways[0]!.channels.find((c) => c.id === "chan-2")!;
    expect(api.members.find((m) => m.ecs_id === "b-1")?.weight).toBe(5);
    // Foreign members and the untagged group are left alone.
    expect(memberIds(emu, "chan-1", "other")).toEqual(["foreign-chan-1"]);
    expect(emu.control.calls().some((c) => c.path.includes("asg-x"))).toBe(false);
    // ⌈3 groups / 1000⌉ = one query, filtered on the channel tag with any value, limit "1000".
    expect(tagCalls(emu).map((c) => [c.method, c.body])).toEqual([
      [
        "POST",
        { action: "filter", tags: [{ key: "channel-autoscaler-channel", values: [] }], limit: "1000" },
      ],
    ]);

    emu.control.clearCalls();
    const second = await invoke("reconcile", timerEvent(), { env });
    expect(second.summary).toMatchObject({ added: 0, removed: 0, unchanged: 4 });
    expect(writes(emu)).toEqual([]);
  });

  it("dead-letters a group with a malformed tag alone, and its replay converges it once fixed", async () => {
    emu.control.load(state({ b: bindingTags("chan-2", "api", { "channel-autoscaler-weight": "heavy" }) }));
    const env = tagEnv();
    const run = await invoke("reconcile", timerEvent(), { env });
    expect(run.error).toBeUndefined();
    expect(run.summary).toMatchObject({ bindings: 2, bindings_discovered: 2, skipped: 1, dead_lettered: 1 });
    expect(memberIds(emu, "chan-1", "web")).toEqual(["a1-1", "a1-2", "a2-1"]);
    expect(memberIds(emu, "chan-2", "api")).toEqual([]);
    expect(run.deadLetters).toHaveLength(1);
    const letter = run.deadLetters[0]!;
    expect(letter).toMatchObject({
      action: "tag_binding",
      binding: null,
      error: { code: "INVALID_BINDING_TAGS" },
      replay: { scaling_group_ids: ["asg-b"] },
      detail: {
        scaling_group_id: "asg-b",
        problems: [{ tag: "channel-autoscaler-weight", value: "heavy", rule: "must be a whole number" }],
      },
    });
    expect((letter.error as { message: string }).message).toBe(
      'scaling group asg-b skipped: tag channel-autoscaler-weight "heavy": must be a whole number',
    );

    // Replayed before the fix, the group is dead-lettered again (not an unknown group).
    const early = await invoke("backfill", letter.replay, { env });
    expect(early.error).toBeUndefined();
    expect(early.summary).toMatchObject({ bindings: 0, skipped: 1, dead_lettered: 1 });

    emu.control.setGroupTags("asg-b", bindingTags("chan-2", "api", { "channel-autoscaler-weight": "5" }));
    const replay = await invoke("backfill", letter.replay, { env });
    expect(replay.summary).toMatchObject({ bindings: 1, bindings_discovered: 1, added: 1, dead_lettered: 0 });
    expect(memberIds(emu, "chan-2", "api")).toEqual(["b-1"]);
  });

  it("reads only the named group's tags for an SMN event (and the groups tagged for its member group)", async () => {
    emu.control.load(state());
    const env = tagEnv();
    const event = smnEvent(JSON.stringify({ scaling_group_id: "asg-b", activity: "SCALING_UP" }));
    const run = await invoke("scaling-events", event, { env });
    expect(run.error).toBeUndefined();
    expect(run.summary).toMatchObject({ bindings: 1, bindings_discovered: 1, added: 1 });
    expect(memberIds(emu, "chan-2", "api")).toEqual(["b-1"]);
    expect(memberIds(emu, "chan-1", "web")).toEqual([]);
    // Its own tags, then one query narrowed to its channel and member group: never a listing of every group.
    expect(tagCalls(emu).map((c) => [c.method, c.path.split("/scaling_group_tag/")[1], c.body])).toEqual([
      ["GET", "asg-b/tags", undefined],
      [
        "POST",
        "resource_instances/action",
        {
          action: "filter",
          tags: [
            { key: "channel-autoscaler-channel", values: ["chan-2"] },
            { key: "channel-autoscaler-member-group", values: ["api"] },
          ],
          limit: "1000",
        },
      ],
    ]);
    expect(emu.control.calls().some((c) => /asg-a|asg-x/.test(c.path))).toBe(false);
  });

  it("reconciles a shared member group whole from an event for one of its groups", async () => {
    emu.control.load(state());
    const env = tagEnv();
    await invoke("reconcile", timerEvent(), { env });
    emu.control.removeInstance("asg-a1", "a1-2");
    const run = await invoke("scaling-events", smnEvent(JSON.stringify({ scaling_group_id: "asg-a1" })), {
      env,
    });
    expect(run.summary).toMatchObject({ bindings: 2, removed: 1 });
    // asg-a2's member stays: it was read together with asg-a1's.
    expect(memberIds(emu, "chan-1", "web")).toEqual(["a1-1", "a2-1"]);
  });

  it("leaves an event that names only an untagged group alone", async () => {
    emu.control.load(state());
    const run = await invoke("scaling-events", smnEvent(JSON.stringify({ scaling_group_id: "asg-x" })), {
      env: tagEnv(),
    });
    expect(run.error).toBeUndefined();
    expect(run.summary).toMatchObject({ bindings: 0 });
    expect(writes(emu)).toEqual([]);
  });

  it("takes a group named in BINDINGS from BINDINGS, and reports its tag binding as shadowed", async () => {
    emu.control.load(state());
    const env = envFor(
      emu,
      [
        {
          scaling_group_id: "asg-b",
          instance_id: "roma-1",
          vpc_channel_id: "chan-2",
          member_group_name: "api",
          weight: 2,
        },
      ],
      { BINDINGS_FROM_TAGS: "true", TAG_BINDINGS_ALLOWED: "roma:roma-1/*" },
    );
    const run = await invoke("reconcile", timerEvent(), { env });
    expect(run.summary).toMatchObject({ bindings: 3, bindings_discovered: 2, skipped: 0 });
    const api = emu.control.state().gateways[0]!.channels.find((c) => c.id === "chan-2")!;
    expect(api.members.find((m) => m.ecs_id === "b-1")?.weight).toBe(2);
    expect(run.logs.some((l) => l.action === "discover_bindings" && l.scaling_group_id === "asg-b")).toBe(
      true,
    );
  });

  it("reads the tag groups that share a member group with a BINDINGS group an event names", async () => {
    emu.control.load(state());
    const env = envFor(
      emu,
      [
        {
          scaling_group_id: "asg-x",
          instance_id: "roma-1",
          vpc_channel_id: "chan-1",
          member_group_name: "web",
          drain_seconds: 0,
        },
      ],
      { BINDINGS_FROM_TAGS: "true", TAG_BINDINGS_ALLOWED: "roma:roma-1/*" },
    );
    const run = await invoke("scaling-events", smnEvent(JSON.stringify({ scaling_group_id: "asg-x" })), {
      env,
    });
    expect(run.summary).toMatchObject({ bindings: 3, bindings_discovered: 2, added: 4 });
    expect(memberIds(emu, "chan-1", "web")).toEqual(["a1-1", "a1-2", "a2-1", "x-1"]);
    expect(tagCalls(emu).map((c) => c.method)).toEqual(["POST"]);
  });

  it("plans a dry run of discovered bindings without writing", async () => {
    emu.control.load(state());
    const run = await invoke("backfill", { dry_run: true }, { env: tagEnv() });
    expect(run.summary).toMatchObject({ dry_run: true, bindings: 3, bindings_discovered: 3 });
    expect(run.summary!.plan.filter((p) => p.action === "add")).toHaveLength(4);
    expect(writes(emu)).toEqual([]);
  });

  it("fans discovered bindings out in shards that keep shared member groups together", async () => {
    emu.control.load(state());
    const env = tagEnv({ BACKFILL_FUNCTION_URN: URN, FANOUT_THRESHOLD: "1", FANOUT_SHARD_SIZE: "1" });
    const run = await invoke("reconcile", timerEvent(), { env });
    expect(run.summary?.plan.map((p) => p.scaling_group_ids)).toEqual([["asg-a1", "asg-a2"], ["asg-b"]]);
    for (const { body } of emu.control.state().functions![0]!.invocations) {
      const shard = await invoke("backfill", body, { env });
      expect(shard.error).toBeUndefined();
    }
    expect(memberIds(emu, "chan-1", "web")).toEqual(["a1-1", "a1-2", "a2-1"]);
    expect(memberIds(emu, "chan-2", "api")).toEqual(["b-1"]);
  });

  it("writes nothing when discovery fails, dead-letters it, and throws for the platform's retry", async () => {
    emu.control.load(state());
    emu.control.addFault({ method: "POST", path: `${QUERY}$`, status: 503, times: 0 });
    const run = await invoke("reconcile", timerEvent(), { env: tagEnv({ RETRY_MAX_ATTEMPTS: "2" }) });
    expect(run.error?.name).toBe("DiscoveryFailedError");
    expect(run.deadLetters.map((d) => d.action)).toEqual(["discover_bindings"]);
    expect(writes(emu)).toEqual([]);
  });
});
