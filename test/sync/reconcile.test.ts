import { beforeEach, describe, expect, it } from "vitest";
import { countsOf } from "../../src/plan/counts";
import { reconcile } from "../../src/sync/reconcile";
import { emulatorForFile } from "../support/emulator-for-file";
import { baseState, instance, members, webBinding, writes } from "../support/harness";
import { inProcess } from "./support";

/** reconcile() in this process, through SyncDeps, against the emulator (see ./support.ts). */
const emu = await emulatorForFile();
beforeEach(() => emu.control.reset());

const webMembers = () =>
  members(emu)
    .filter((m) => m.member_group_name === "web")
    .map((m) => `${m.ecs_id}:${m.status}`)
    .sort();

describe("reconcile, in process", () => {
  it("registers every serving instance, leaves other groups alone, and a second run writes nothing", async () => {
    emu.control.load(
      baseState({ instances: [instance("i-1"), instance("i-2"), instance("i-3", "INSERVICE", "ERROR")] }),
    );
    const run = inProcess(emu, [webBinding]);
    const first = await reconcile(run.bindings, run.deps, run.options);
    expect(webMembers()).toEqual(["i-1:1", "i-2:1"]);
    expect(
      members(emu)
        .filter((m) => m.member_group_name === "other")
        .map((m) => m.ecs_id),
    ).toEqual(["foreign-1"]);
    expect(first.plan.map((e) => [e.action, e.instance_id, e.status])).toEqual([
      ["add", "i-1", "done"],
      ["add", "i-2", "done"],
    ]);
    expect(first.counts).toMatchObject({ bindings: 1, added: 2, unchanged: 0 });
    expect([...first.outcomes.values()]).toEqual(["ok"]);

    emu.control.clearCalls();
    const again = await reconcile(run.bindings, run.deps, run.options);
    expect(writes(emu)).toEqual([]);
    expect(again.plan).toEqual([]);
    expect(again.counts).toMatchObject({ added: 0, unchanged: 2 });
    expect(run.deadLetters.records).toEqual([]);
  });

  it("disables a member that is no longer wanted, drains it while disabled, then deletes it", async () => {
    emu.control.load(
      baseState({
        instances: [instance("i-1")],
        members: [
          { ecs_id: "i-1", ecs_name: "web-i-1", member_group_name: "web" },
          { ecs_id: "i-9", ecs_name: "web-i-9", member_group_name: "web" },
        ],
      }),
    );
    // The drain is observed, not waited for: at that moment i-9 must be disabled and still there.
    const duringDrain: { ms: number; web: string[] }[] = [];
    const run = inProcess(emu, [{ ...webBinding, drain_seconds: 30 }], {
      sleep: async (ms) => {
        duringDrain.push({ ms, web: webMembers() });
      },
    });
    const result = await reconcile(run.bindings, run.deps, run.options);
    expect(duringDrain).toEqual([{ ms: 30_000, web: ["i-1:1", "i-9:2"] }]);
    expect(webMembers()).toEqual(["i-1:1"]);
    expect(result.counts).toMatchObject({ disabled: 1, removed: 1, unchanged: 1 });
    expect(result.counts).toEqual(countsOf(result.plan, 1, { unchanged: 1 }));
  });

  it("waits the longest drain_seconds of the channel's member groups that delete, once, before any delete", async () => {
    emu.control.load({
      ...baseState({
        instances: [instance("i-1")],
        instances2: [instance("b-1")],
        members: [
          { ecs_id: "i-9", ecs_name: "web-i-9", member_group_name: "web" },
          { ecs_id: "b-9", ecs_name: "web-b-9", member_group_name: "other" },
        ],
      }),
    });
    // Two member groups of one channel, each with a stray: the short drain must not cut the long one.
    const bindings = [
      { ...webBinding, drain_seconds: 5 },
      { ...webBinding, scaling_group_id: "asg-2", member_group_name: "other", drain_seconds: 30 },
    ];
    const duringDrain: { ms: number; strays: string[] }[] = [];
    const strays = () =>
      members(emu)
        .filter((m) => m.ecs_id === "i-9" || m.ecs_id === "b-9")
        .map((m) => `${m.ecs_id}:${m.status}`)
        .sort();
    const run = inProcess(emu, bindings, {
      sleep: async (ms) => {
        duringDrain.push({ ms, strays: strays() });
      },
    });
    await reconcile(run.bindings, run.deps, run.options);
    expect(duringDrain).toEqual([{ ms: 30_000, strays: ["b-9:2", "i-9:2"] }]);
    expect(strays()).toEqual([]);
  });

  it("in a dry run plans the same actions, writes nothing and counts nothing done", async () => {
    emu.control.load(
      baseState({
        instances: [instance("i-1")],
        members: [{ ecs_id: "i-9", ecs_name: "web-i-9", member_group_name: "web" }],
      }),
    );
    const run = inProcess(emu, [webBinding]);
    const result = await reconcile(run.bindings, run.deps, { ...run.options, dryRun: true });
    expect(writes(emu)).toEqual([]);
    expect(result.plan.map((e) => [e.action, e.instance_id, e.status])).toEqual([
      ["add", "i-1", "planned"],
      ["disable", "i-9", "planned"],
      ["delete", "i-9", "planned"],
    ]);
    expect(result.counts).toMatchObject({ added: 0, disabled: 0, removed: 0 });
  });

  it("dead-letters a binding whose channel cannot be read and still reconciles the other channel", async () => {
    emu.control.load(baseState({ instances: [instance("i-1")], instances2: [instance("b-1")] }));
    const missing = { ...webBinding, scaling_group_id: "asg-2", vpc_channel_id: "chan-missing" };
    const run = inProcess(emu, [webBinding, missing]);
    const result = await reconcile(run.bindings, run.deps, run.options);
    expect(webMembers()).toEqual(["i-1:1"]);
    expect([...result.outcomes.values()]).toEqual(["ok", "permanent"]);
    expect(run.deadLetters.records).toMatchObject([
      { action: "read_members", binding: { vpc_channel_id: "chan-missing" } },
    ]);
  });
});
