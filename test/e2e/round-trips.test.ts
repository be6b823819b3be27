/**
 * How many calls a run makes and which of them wait for which, counted in the emulator's call log
 * (issue 16): the channel is read only when the plan needs it, and then beside the AS reads rather
 * than after them; a converged run reads exactly what it read before.
 */
import { beforeEach, describe, expect, it } from "vitest";
import type { CallLogEntry, StateInput } from "../emulator";
import { emulatorForFile } from "../support/emulator-for-file";
import {
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
  emu.control.setOptions({ memberQuota: 10, latencyMs: 0, defaultMemberHealth: "healthy" });
});

/** A call as a person names it. */
function callName(c: CallLogEntry): string {
  if (c.method !== "GET") return `${c.method} ${c.path.split("/").pop()}`;
  if (c.path.includes("/scaling_group_instance/")) return "instances";
  if (c.path.includes("/scaling_instance_hook/")) return "hooks";
  if (c.path.endsWith("/members")) return "members";
  if (/\/vpc-channels\/[^/]+$/.test(c.path)) return "channel";
  if (c.service === "ecs") return "ecs";
  return `GET ${c.path}`;
}
const calls = () => emu.control.calls().map(callName);
const count = (name: string) => calls().filter((n) => n === name).length;

const healthCheck = {
  protocol: "TCP",
  threshold_normal: 2,
  threshold_abnormal: 3,
  time_interval: 10,
  timeout: 5,
};

describe("the channel read waits for no AS call", () => {
  // Issue 16: "read the channel only when the listing is empty or a health_check must be compared, and
  // then concurrently with the AS instance listing". The first instance listing never answers: the run
  // waits for its timeout (REQUEST_TIMEOUT_MS) and asks again. A channel read that waited for a first
  // page of instances would come after that second listing; one made beside the first comes before it,
  // however slow the machine.
  it("an empty member group (it may not exist yet): the channel read starts with the instance listing", async () => {
    emu.control.load(baseState({ instances: [instance("i-1"), instance("i-2")], members: [] }));
    emu.control.addFault({ method: "GET", path: "/scaling_group_instance/", hang: true });
    const { summary, deadLetters } = await invoke("reconcile", timerEvent(), {
      env: envFor(emu, [webBinding]),
    });
    expect(deadLetters).toEqual([]);
    expect(summary?.added).toBe(2);
    const names = calls();
    const secondListing = names.indexOf("instances", names.indexOf("instances") + 1);
    expect(names.indexOf("members")).toBe(0);
    expect(secondListing).toBeGreaterThan(0);
    expect(names.indexOf("channel")).toBeGreaterThan(0);
    expect(names.indexOf("channel")).toBeLessThan(secondListing);
    // One read of each, besides the retried instance listing.
    expect(names.filter((n) => n !== "instances").sort()).toEqual([
      "POST members",
      "channel",
      "hooks",
      "members",
    ]);
  });

  // The first hook list never answers, as above: once the first page of instances shows members to add
  // whose member type the listing does not prove, the channel is read, before the hook list is asked
  // again.
  it.each([
    [
      "a scale-out into a listed group (an ecs_id does not tell the member type)",
      [{ ecs_id: "i-1", ecs_name: "web-i-1", member_group_name: "web" }],
    ],
  ])("%s", async (_, listed) => {
    emu.control.load(baseState({ instances: [instance("i-1"), instance("i-2")], members: listed }));
    emu.control.addFault({ method: "GET", path: "/scaling_instance_hook/", hang: true });
    const { summary, deadLetters } = await invoke("reconcile", timerEvent(), {
      env: envFor(emu, [webBinding]),
    });
    expect(deadLetters).toEqual([]);
    expect(summary?.added).toBe(2 - listed.length);
    const names = calls();
    const secondHookList = names.indexOf("hooks", names.indexOf("hooks") + 1);
    expect(names.indexOf("members")).toBe(0);
    expect(names.indexOf("channel")).toBeGreaterThan(names.indexOf("instances"));
    expect(names.indexOf("channel")).toBeLessThan(secondHookList);
    // Still one read of each, besides the retried hook list.
    expect(names.filter((n) => n !== "hooks").sort()).toEqual([
      "POST members",
      "channel",
      "instances",
      "members",
    ]);
  });
});

describe("reads of a converged run", () => {
  it("a converged ecs group: members, instances, hooks; no channel read", async () => {
    emu.control.load(
      baseState({
        instances: [instance("i-1"), instance("i-2")],
        members: [
          { ecs_id: "i-1", ecs_name: "web-i-1", member_group_name: "web" },
          { ecs_id: "i-2", ecs_name: "web-i-2", member_group_name: "web" },
        ],
      }),
    );
    const { summary } = await invoke("reconcile", timerEvent(), { env: envFor(emu, [webBinding]) });
    expect(summary?.unchanged).toBe(2);
    expect(calls().sort()).toEqual(["hooks", "instances", "members"]);
  });

  // The accepted cost of issue 16's rule ("read the channel only when the listing is empty or a
  // health_check must be compared, and then concurrently with the AS instance listing"): an empty
  // listing starts the channel read before any instance is seen, so an empty member group of an empty
  // scaling group reads its channel once a run, and writes nothing.
  it("an empty group of an empty scaling group: one channel read, beside the AS reads, no write", async () => {
    emu.control.load(baseState({ instances: [instance("i-1", "REMOVING")], members: [] }));
    const env = envFor(emu, [webBinding]);
    await invoke("reconcile", timerEvent(), { env });
    emu.control.clearCalls();
    const { summary, deadLetters } = await invoke("reconcile", timerEvent(), { env });
    expect(deadLetters).toEqual([]);
    expect(summary?.added).toBe(0);
    expect(writes(emu)).toEqual([]);
    expect(calls().sort()).toEqual(["channel", "hooks", "instances", "members"]);
  });

  it("an empty group of an empty scaling group whose channel cannot be read: nothing dead-lettered", async () => {
    emu.control.load(baseState({ instances: [], members: [] }));
    emu.control.addFault({ method: "GET", path: "/vpc-channels/chan-1$", status: 404 });
    const { summary, deadLetters } = await invoke("reconcile", timerEvent(), {
      env: envFor(emu, [webBinding]),
    });
    // The read was made, and failed, but was not needed: no instance to add, so its failure stops nothing.
    expect(count("channel")).toBe(1);
    expect(deadLetters).toEqual([]);
    expect(summary?.dead_lettered).toBe(0);
    expect(writes(emu)).toEqual([]);
  });

  it("with a health_check: one channel read (to compare it), no write", async () => {
    emu.control.load(baseState({ instances: [instance("i-1")], members: [] }));
    const env = envFor(emu, [{ ...webBinding, health_check: healthCheck }]);
    await invoke("reconcile", timerEvent(), { env });
    emu.control.clearCalls();
    const { summary } = await invoke("reconcile", timerEvent(), { env });
    expect(summary?.unchanged).toBe(1);
    expect(writes(emu)).toEqual([]);
    expect(calls().sort()).toEqual(["channel", "hooks", "instances", "members"]);
  });
});

describe("a listed member that proves the member type", () => {
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
    expect(count("channel")).toBe(0);
    expect(
      members(emu)
        .map((m) => m.host)
        .sort(),
    ).toEqual(["10.0.0.1", "10.0.0.2"]);
  });
});
