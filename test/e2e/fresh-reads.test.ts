/**
 * Destructive steps act on fresh reads, through the built bundles: another invocation acts between our
 * calls (the emulator's afterNextCall puts its change exactly there).
 */
import { beforeEach, describe, expect, it } from "vitest";
import type { StateInput } from "../emulator";
import { emulatorForFile } from "../support/emulator-for-file";
import { baseState, envFor, instance, invoke, members, timerEvent, webBinding } from "../support/harness";
import { inProcess } from "../sync/support";

const emu = await emulatorForFile();
beforeEach(() => emu.control.reset());

const CHANNEL = { gateway: "roma" as const, instance_id: "roma-1", vpc_channel_id: "chan-1" };
const web = () =>
  members(emu)
    .filter((m) => m.member_group_name === "web")
    .map((m) => `${m.ecs_id}:${m.status}`)
    .sort();
const hanging = () => emu.control.state().scaling_groups[0]!.hanging.map((h) => h.instance_id);
const run = () => invoke("reconcile", timerEvent(), { env: envFor(emu, [webBinding]) });
/** Another invocation's signed clients. */
const other = () => inProcess(emu, [webBinding]).deps.gateway;

/** i-9 is being terminated (REMOVING_WAIT, hook hanging); its member still serves. */
function loadTerminating(): void {
  const state: StateInput = baseState({
    instances: [instance("i-1"), instance("i-9", "REMOVING_WAIT")],
    members: [
      { ecs_id: "i-1", ecs_name: "web-i-1", member_group_name: "web" },
      { ecs_id: "i-9", ecs_name: "web-i-9", member_group_name: "web" },
    ],
  });
  state.scaling_groups = state.scaling_groups!.map((g) => ({
    ...g,
    lifecycle_hooks: [{ lifecycle_hook_name: "terminate", lifecycle_hook_type: "INSTANCE_TERMINATING" }],
  }));
  emu.control.load(state);
  emu.control.addHangingHook({
    scaling_group_id: "asg-1",
    instance_id: "i-9",
    lifecycle_hook_name: "terminate",
  });
}

describe("destructive steps act on fresh reads (bundles)", () => {
  it("a member enabled again by another invocation after our disable is not deleted", async () => {
    loadTerminating();
    emu.control.afterNextCall({ method: "POST", path: "/batch-disable$" }, async () => {
      const i9 = members(emu).find((m) => m.ecs_id === "i-9")!;
      await other().setMembersEnabled(CHANNEL, [i9.id], true);
    });
    const res = await run();
    expect(res.error).toBeUndefined();
    expect(web()).toEqual(["i-1:1", "i-9:1"]);
    expect(emu.control.calls().filter((c) => c.method === "DELETE")).toEqual([]);
    expect(res.summary).toMatchObject({ disabled: 1, removed: 0, hooks_completed: 0, dead_lettered: 0 });
    expect(hanging()).toEqual(["i-9"]);
  });

  it("a member put back after our delete keeps the terminate hook waiting", async () => {
    loadTerminating();
    emu.control.afterNextCall({ method: "DELETE", path: "/members/" }, () =>
      other().addMembers(CHANNEL, [
        { ecs_id: "i-9", ecs_name: "web-i-9", weight: 1, is_backup: false, member_group_name: "web" },
      ]),
    );
    const res = await run();
    expect(res.summary).toMatchObject({ removed: 1, hooks_completed: 0, dead_lettered: 0 });
    expect(hanging()).toEqual(["i-9"]);
    expect(res.summary?.plan.at(-1)).toMatchObject({
      action: "wait_hook",
      instance_id: "i-9",
      reason: "a member of the instance is listed again after the deletes",
    });
    // Nobody puts it back this time: the next run removes it and lets AS terminate the instance.
    const next = await run();
    expect(next.summary).toMatchObject({ removed: 1, hooks_completed: 1 });
    expect(hanging()).toEqual([]);
  });
});
