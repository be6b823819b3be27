/**
 * Which calls a run makes, counted in the emulator's call log for runs of the built bundles: the reads
 * of docs/reads.md, at their floor. A converged binding reads its members (⌈members/500⌉ pages) and its
 * group's instances (⌈instances/100⌉ pages), in that order, and nothing else; a first deploy into
 * existing groups adds one POST per 100 members; the channel, the hanging hooks and the member groups are
 * read only when an answer the run already has says they are needed.
 */
import { beforeEach, describe, expect, it } from "vitest";
import type { CallLogEntry, StateInput } from "../emulator";
import fixture from "../fixtures/as-lifecycle-hook-message.json";
import { emulatorForFile } from "../support/emulator-for-file";
import {
  baseState,
  envFor,
  HEALTH_CHECK,
  instance,
  invoke,
  members,
  romaChannel,
  romaInstance,
  smnEvent,
  timerEvent,
  webBinding,
  writes,
} from "../support/harness";

const emu = await emulatorForFile();
beforeEach(() => {
  emu.control.reset();
  emu.control.setOptions({ memberQuota: 5_000, latencyMs: 0, defaultMemberHealth: "healthy" });
});

/** A call as a person names it. */
function callName(c: CallLogEntry): string {
  const refused = c.status >= 400 ? ` ${c.status}` : "";
  if (c.method !== "GET") return `${c.method} ${c.path.split("/").pop()}${refused}`;
  if (c.path.includes("/scaling_group_instance/")) return "instances";
  if (c.path.includes("/scaling_instance_hook/")) return "hooks";
  if (c.path.endsWith("/members"))
    return c.query.member_group_name === undefined ? "channel members" : "members";
  if (/\/vpc-channels\/[^/]+$/.test(c.path)) return "channel";
  if (c.service === "ecs") return "ecs";
  return `GET ${c.path}`;
}
const calls = () => emu.control.calls().map(callName);
const count = (name: string) => calls().filter((n) => n === name).length;

const ids = (n: number, prefix = "i") =>
  Array.from({ length: n }, (_, i) => `${prefix}-${String(i).padStart(4, "0")}`);
const member = (id: string, group = "web") => ({
  ecs_id: id,
  ecs_name: `web-${id}`,
  member_group_name: group,
});

describe("a converged plain binding reads its floor: ⌈instances/100⌉ + ⌈members/500⌉, members first", () => {
  it.each([
    [2, 1, 1],
    [250, 3, 1],
    [600, 6, 2],
  ])(
    "%i instances and members: %i instance pages, %i member pages, no hook list, no channel, no write",
    async (n, instancePages, memberPages) => {
      emu.control.load(
        baseState({ instances: ids(n).map((id) => instance(id)), members: ids(n).map((id) => member(id)) }),
      );
      const { summary, deadLetters } = await invoke("reconcile", timerEvent(), {
        env: envFor(emu, [webBinding]),
      });
      expect(deadLetters).toEqual([]);
      expect(summary?.unchanged).toBe(n);
      expect(calls()).toEqual([
        ...Array(memberPages).fill("members"),
        ...Array(instancePages).fill("instances"),
      ]);
    },
  );

  it("an empty member group of an empty scaling group: one member page and one instance page", async () => {
    emu.control.load(baseState({ instances: [instance("i-1", "REMOVING")], members: [] }));
    const { summary, deadLetters } = await invoke("reconcile", timerEvent(), {
      env: envFor(emu, [webBinding]),
    });
    expect(deadLetters).toEqual([]);
    expect(summary?.added).toBe(0);
    expect(calls()).toEqual(["members", "instances"]);
  });

  it("two member groups on one channel: one listing of the whole channel when it takes no more pages", async () => {
    emu.control.load({
      gateways: romaInstance([
        romaChannel({ groups: ["web", "blue", "other"], members: [member("i-1"), member("b-1", "blue")] }),
      ]),
      scaling_groups: [
        { scaling_group_id: "asg-1", instances: [instance("i-1")] },
        { scaling_group_id: "asg-2", instances: [instance("b-1")] },
      ],
    } as StateInput);
    const blue = { ...webBinding, scaling_group_id: "asg-2", member_group_name: "blue" };
    const { summary } = await invoke("reconcile", timerEvent(), { env: envFor(emu, [webBinding, blue]) });
    expect(summary?.unchanged).toBe(2);
    expect(calls()).toEqual(["channel members", "instances", "instances"]);
  });

  it("two member groups on a channel whose other groups hold 2,000 members: one whole-channel page, then each group alone", async () => {
    emu.control.load({
      gateways: romaInstance([
        romaChannel({
          groups: ["web", "blue", "other"],
          members: [
            member("i-1"),
            member("b-1", "blue"),
            ...ids(2_000, "f").map((id) => member(id, "other")),
          ],
        }),
      ]),
      scaling_groups: [
        { scaling_group_id: "asg-1", instances: [instance("i-1")] },
        { scaling_group_id: "asg-2", instances: [instance("b-1")] },
      ],
    } as StateInput);
    const blue = { ...webBinding, scaling_group_id: "asg-2", member_group_name: "blue" };
    const { summary } = await invoke("reconcile", timerEvent(), { env: envFor(emu, [webBinding, blue]) });
    expect(summary?.unchanged).toBe(2);
    // 5 pages for the whole channel against 2 for the groups: after the first page, the groups.
    expect(calls()).toEqual(["channel members", "members", "members", "instances", "instances"]);
  });
});

describe("a first deploy makes no call it can do without", () => {
  it("into an existing empty member group: the members, the instances, one POST per 100 members", async () => {
    emu.control.load(baseState({ instances: ids(200).map((id) => instance(id)), members: [] }));
    const { summary, deadLetters } = await invoke("backfill", {}, { env: envFor(emu, [webBinding]) });
    expect(deadLetters).toEqual([]);
    expect(summary?.added).toBe(200);
    expect(calls()).toEqual(["members", "instances", "instances", "POST members", "POST members"]);
  });

  it("into a member group the channel lacks: the refused add reads the channel once, creates the group and adds again", async () => {
    emu.control.load(baseState({ instances: ids(150).map((id) => instance(id)), members: [] }));
    const env = envFor(emu, [{ ...webBinding, member_group_name: "blue" }]);
    const { summary, deadLetters } = await invoke("backfill", {}, { env });
    expect(deadLetters).toEqual([]);
    expect(summary?.added).toBe(150);
    // The second chunk waits for the channel read the first one's refusal asks for.
    expect(calls()).toEqual([
      "members",
      "instances",
      "instances",
      "POST members 400",
      "channel",
      "POST member-groups",
      "POST members",
      "POST members",
    ]);
    expect(members(emu).filter((m) => m.member_group_name === "blue")).toHaveLength(150);
  });

  it("into an ip channel that no listed member shows as one: the refused add reads the channel, then the addresses, then adds", async () => {
    emu.control.load({
      gateways: romaInstance([romaChannel({ memberType: "ip" })]),
      scaling_groups: [{ scaling_group_id: "asg-1", instances: [instance("i-1"), instance("i-2")] }],
      servers: [
        { id: "i-1", ipv4: "10.0.0.1" },
        { id: "i-2", ipv4: "10.0.0.2" },
      ],
    } as StateInput);
    const { summary, deadLetters } = await invoke("backfill", {}, { env: envFor(emu, [webBinding]) });
    expect(deadLetters).toEqual([]);
    expect(summary?.added).toBe(2);
    expect(calls()).toEqual(["members", "instances", "POST members 400", "channel", "ecs", "POST members"]);
    expect(
      members(emu)
        .map((m) => m.host)
        .sort(),
    ).toEqual(["10.0.0.1", "10.0.0.2"]);
  });

  it("an add refused again once the channel is read is dead-lettered: one channel read, one retry", async () => {
    emu.control.load(baseState({ instances: [instance("i-1")], members: [] }));
    emu.control.addFault({
      method: "POST",
      path: "/members$",
      times: 0,
      status: 400,
      body: { error_code: "APIG.2012", error_msg: "Invalid parameter value,parameterName:ecs_name" },
    });
    const { summary, deadLetters } = await invoke("backfill", {}, { env: envFor(emu, [webBinding]) });
    expect(calls()).toEqual(["members", "instances", "POST members 400", "channel", "POST members 400"]);
    expect(deadLetters).toMatchObject([
      { action: "add_members", instance_ids: ["i-1"], error: { code: "APIG.2012" } },
    ]);
    expect(summary?.plan.map((e) => [e.action, e.status])).toEqual([["add", "failed"]]);
  });

  it("an add refused for a reason other than a parameter is dead-lettered with no channel read", async () => {
    emu.control.load(baseState({ instances: [instance("i-1")], members: [] }));
    emu.control.addFault({
      method: "POST",
      path: "/members$",
      times: 0,
      status: 403,
      body: { error_code: "APIG.1113", error_msg: "No permissions" },
    });
    const { deadLetters } = await invoke("backfill", {}, { env: envFor(emu, [webBinding]) });
    expect(calls()).toEqual(["members", "instances", "POST members 403"]);
    expect(deadLetters).toMatchObject([{ action: "add_members", error: { code: "APIG.1113" } }]);
  });

  it("an address-only member proves an ip channel: a scale-out adds by address without reading the channel", async () => {
    emu.control.load({
      gateways: romaInstance([
        romaChannel({
          memberType: "ip",
          groups: ["web"],
          members: [{ host: "10.0.0.1", member_group_name: "web" }],
        }),
      ]),
      scaling_groups: [{ scaling_group_id: "asg-1", instances: [instance("i-1"), instance("i-2")] }],
      servers: [
        { id: "i-1", ipv4: "10.0.0.1" },
        { id: "i-2", ipv4: "10.0.0.2" },
      ],
    } as StateInput);
    const { summary, deadLetters } = await invoke("reconcile", timerEvent(), {
      env: envFor(emu, [webBinding]),
    });
    expect(deadLetters).toEqual([]);
    expect(summary?.added).toBe(1);
    expect(calls()).toEqual(["members", "instances", "ecs", "POST members"]);
  });
});

describe("a tag binding's first deploy", () => {
  it("reads the channel (its ownership check) beside the instance listing, creates the group and adds: no refused add", async () => {
    const tags = Object.entries({
      "channel-autoscaler-channel": "chan-1",
      "channel-autoscaler-instance": "roma-1",
      "channel-autoscaler-member-group": "blue",
    }).map(([key, value]) => ({ key, value }));
    emu.control.load({
      gateways: romaInstance([romaChannel()]),
      scaling_groups: [{ scaling_group_id: "asg-t", instances: [instance("t-1")], tags }],
    } as StateInput);
    // The instance listing never answers at first: the channel read must not wait for it.
    emu.control.addFault({ method: "GET", path: "/scaling_group_instance/", hang: true });
    const { BINDINGS: _none, ...env } = envFor(emu, [], {
      BINDINGS_FROM_TAGS: "true",
      TAG_BINDINGS_ALLOWED: "roma:roma-1/chan-1",
    });
    const { summary, deadLetters } = await invoke("backfill", {}, { env });
    expect(deadLetters).toEqual([]);
    expect(summary?.added).toBe(1);
    const names = calls().filter((n) => n !== "POST action");
    const secondListing = names.indexOf("instances", names.indexOf("instances") + 1);
    expect(names.indexOf("channel")).toBeLessThan(secondListing);
    expect(names.filter((n) => n !== "instances")).toEqual([
      "members",
      "channel",
      "POST member-groups",
      "POST members",
    ]);
  });
});

describe("the hanging hooks are listed only where one can be found", () => {
  const withHook = (state: "PENDING_WAIT" | "INSERVICE") =>
    ({
      ...baseState({ instances: [instance("i-1", state)], members: [] }),
      scaling_groups: [
        {
          scaling_group_id: "asg-1",
          instances: [instance("i-1", state)],
          lifecycle_hooks: [{ lifecycle_hook_name: "launch", lifecycle_hook_type: "INSTANCE_LAUNCHING" }],
          hanging: state === "PENDING_WAIT" ? [{ instance_id: "i-1", lifecycle_hook_name: "launch" }] : [],
        },
      ],
    }) as StateInput;

  it("an instance in PENDING_WAIT: one hook list after the instances, and the hook completed", async () => {
    emu.control.load(withHook("PENDING_WAIT"));
    const { summary } = await invoke("reconcile", timerEvent(), { env: envFor(emu, [webBinding]) });
    expect(summary?.hooks_completed).toBe(1);
    expect(calls()).toEqual(["members", "instances", "hooks", "POST members", "PUT callback"]);
  });

  it("a lifecycle-hook message: the hook list starts beside the first instance page, not after it", async () => {
    emu.control.load(withHook("PENDING_WAIT"));
    // The first instance listing never answers: the run waits for its timeout and asks again. A hook
    // list that waited for an instance page would come after the second listing.
    emu.control.addFault({ method: "GET", path: "/scaling_group_instance/", hang: true });
    const message = JSON.stringify({
      ...fixture,
      scaling_group: { ...fixture.scaling_group, scaling_group_id: "asg-1" },
      scaling_instance: { ...fixture.scaling_instance, instance_id: "i-1" },
    });
    const { summary } = await invoke("scaling-events", smnEvent(message), { env: envFor(emu, [webBinding]) });
    expect(summary?.hooks_completed).toBe(1);
    const names = calls();
    const secondListing = names.indexOf("instances", names.indexOf("instances") + 1);
    expect(names.indexOf("hooks")).toBeGreaterThan(0);
    expect(names.indexOf("hooks")).toBeLessThan(secondListing);
    expect(count("hooks")).toBe(1);
  });
});

describe("a health_check is compared on an instance's first run, then once per HEALTH_CHECK_RECHECK_MS", () => {
  // The memory is the warm instance's, and this file's runs share one: each test names its own period.
  it("the first run reads the channel beside the instance listing; the next runs of the same instance do not", async () => {
    emu.control.load(baseState({ instances: ids(150).map((id) => instance(id)), members: [] }));
    emu.control.addFault({ method: "GET", path: "/scaling_group_instance/", hang: true });
    const env = envFor(emu, [{ ...webBinding, health_check: HEALTH_CHECK }], {
      HEALTH_CHECK_RECHECK_MS: "3600001",
    });
    const first = await invoke("reconcile", timerEvent(), { env });
    expect(first.summary?.added).toBe(150);
    const names = calls();
    // Beside the first instance listing: before the one asked again after its timeout.
    expect(names.indexOf("channel")).toBeLessThan(names.indexOf("instances", names.indexOf("instances") + 1));
    expect(writes(emu).map(callName)).toEqual(["PUT health-config", "POST members", "POST members"]);

    // Two pages of instances: the first alone, where 50 members look stray, says nothing yet.
    for (let run = 0; run < 2; run++) {
      emu.control.clearCalls();
      const again = await invoke("reconcile", timerEvent(), { env });
      expect(again.summary?.unchanged).toBe(150);
      expect(calls()).toEqual(["members", "instances", "instances"]);
    }
  });

  it("HEALTH_CHECK_RECHECK_MS=0: every run compares it, and sets it back when it drifted", async () => {
    emu.control.load(baseState({ instances: [instance("i-1")], members: [member("i-1")] }));
    const env = envFor(emu, [{ ...webBinding, health_check: HEALTH_CHECK }], {
      HEALTH_CHECK_RECHECK_MS: "0",
    });
    await invoke("reconcile", timerEvent(), { env });
    emu.control.clearCalls();
    await invoke("reconcile", timerEvent(), { env });
    expect(calls().sort()).toEqual(["channel", "instances", "members"]);
    // An operator's edit of the check is undone by the next run.
    const path = `/v2/${emu.projectId}/apic/instances/roma-1/vpc-channels/chan-1/health-config`;
    expect(emu.control.state().gateways[0]!.channels[0]!.vpc_health_config).toMatchObject(HEALTH_CHECK);
    emu.control.load({
      ...baseState({ instances: [instance("i-1")], members: [member("i-1")] }),
    });
    emu.control.clearCalls();
    await invoke("reconcile", timerEvent(), { env });
    expect(writes(emu).map((c) => c.path)).toEqual([path]);
  });
});
