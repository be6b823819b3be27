import { beforeEach, describe, expect, it } from "vitest";
import { countsOf } from "../../src/plan/counts";
import { HealthCheckMemory } from "../../src/sync/health-check-memory";
import { reconcile } from "../../src/sync/reconcile";
import { emulatorForFile } from "../support/emulator-for-file";
import { baseState, HEALTH_CHECK, instance, members, webBinding, writes } from "../support/harness";
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

/** Destructive steps act on fresh reads: another actor changes the group between our reads and our writes. */
describe("reconcile, in process: fresh reads before destructive steps", () => {
  const terminating = () =>
    baseState({
      instances: [instance("i-1"), instance("i-9", "REMOVING_WAIT")],
      members: [
        { ecs_id: "i-1", ecs_name: "web-i-1", member_group_name: "web" },
        { ecs_id: "i-9", ecs_name: "web-i-9", member_group_name: "web" },
      ],
    });
  const withTerminateHook = () => {
    const state = terminating();
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
  };
  const hanging = () => emu.control.state().scaling_groups[0]!.hanging.map((h) => h.instance_id);
  const memberReads = () =>
    emu.control.calls().filter((c) => c.method === "GET" && c.path.endsWith("/members")).length;

  it("a member another invocation enables again during the drain is not deleted, and its terminate hook waits", async () => {
    withTerminateHook();
    // The drain is where the other invocation acts: its newer AS read had i-9 serving again.
    const run = inProcess(emu, [{ ...webBinding, drain_seconds: 30 }], {
      sleep: async () => {
        const i9 = members(emu).find((m) => m.ecs_id === "i-9")!;
        await run.deps.gateway.setMembersEnabled(
          { gateway: "roma", instance_id: "roma-1", vpc_channel_id: "chan-1" },
          [i9.id],
          true,
        );
      },
    });
    const result = await reconcile(run.bindings, run.deps, run.options);
    expect(webMembers()).toEqual(["i-1:1", "i-9:1"]);
    expect(result.plan.map((e) => [e.action, e.instance_id, e.status])).toEqual([
      ["disable", "i-9", "done"],
      ["delete", "i-9", "skipped"],
      ["wait_hook", "i-9", "skipped"],
    ]);
    expect(hanging()).toEqual(["i-9"]);
    expect(run.deadLetters.records).toEqual([]);
    // The listing before the plan, and one after the drain; the hook needed no read of its own (waiting).
    expect(memberReads()).toBe(2);
  });

  it("a member put back after our delete keeps the terminate hook waiting; once it is gone the hook continues", async () => {
    withTerminateHook();
    const run = inProcess(emu, [webBinding]);
    const channel = { gateway: "roma" as const, instance_id: "roma-1", vpc_channel_id: "chan-1" };
    emu.control.afterNextCall({ method: "DELETE", path: "/members/" }, () =>
      run.deps.gateway.addMembers(channel, [
        { ecs_id: "i-9", ecs_name: "web-i-9", weight: 1, is_backup: false, member_group_name: "web" },
      ]),
    );
    const first = await reconcile(run.bindings, run.deps, run.options);
    expect(first.plan.map((e) => [e.action, e.instance_id, e.status, e.reason ?? ""])).toEqual([
      ["disable", "i-9", "done", ""],
      ["delete", "i-9", "done", ""],
      ["wait_hook", "i-9", "skipped", "a member of the instance is listed again after the deletes"],
    ]);
    expect(hanging()).toEqual(["i-9"]);
    // Before the plan, after the drain, and before the hook.
    expect(memberReads()).toBe(3);

    emu.control.clearCalls();
    const second = await reconcile(run.bindings, run.deps, run.options);
    expect(second.plan.map((e) => [e.action, e.instance_id, e.status])).toEqual([
      ["disable", "i-9", "done"],
      ["delete", "i-9", "done"],
      ["complete_hook", "i-9", "done"],
    ]);
    expect(hanging()).toEqual([]);
    expect(webMembers()).toEqual(["i-1:1"]);
  });

  it("a run that deletes nothing and completes no terminate hook lists each member group once", async () => {
    emu.control.load(
      baseState({
        instances: [instance("i-1")],
        members: [{ ecs_id: "i-1", ecs_name: "web-i-1", member_group_name: "web" }],
      }),
    );
    const run = inProcess(emu, [webBinding]);
    await reconcile(run.bindings, run.deps, run.options);
    expect(memberReads()).toBe(1);
  });
});

describe("reconcile, in process: an instance listing that cannot name every instance", () => {
  it("holds every removal of the group's targets (a member may be one of the unnamed instances); adds go ahead", async () => {
    emu.control.load(
      baseState({
        instances: [instance("i-1"), instance("i-2")],
        members: [
          { ecs_id: "i-1", ecs_name: "web-i-1", member_group_name: "web" },
          { ecs_id: "i-9", ecs_name: "web-i-9", member_group_name: "web" },
        ],
      }),
    );
    const unnamed = { instance_name: "web-new", life_cycle_state: "INSERVICE", health_status: "NORMAL" };
    emu.control.addFault({
      method: "GET",
      path: "/scaling_group_instance/asg-1/list$",
      status: 200,
      body: { total_number: 3, scaling_group_instances: [instance("i-1"), unnamed, instance("i-2")] },
    });
    const run = inProcess(emu, [webBinding]);
    const held = await reconcile(run.bindings, run.deps, run.options);
    expect(webMembers()).toEqual(["i-1:1", "i-2:1", "i-9:1"]);
    expect(held.plan.map((e) => [e.action, e.instance_id, e.status])).toEqual([["add", "i-2", "done"]]);
    expect(run.logs).toContainEqual(
      expect.objectContaining({
        level: "warn",
        msg: "the AS instance listing had records without an instance_id, so no member can be proven stray: none is disabled or deleted this run",
        scaling_group_ids: ["asg-1"],
        instance_ids: ["i-9"],
      }),
    );
    expect(run.deadLetters.records).toEqual([]);

    // A complete listing proves i-9 stray: the next run removes it.
    const next = await reconcile(run.bindings, run.deps, run.options);
    expect(webMembers()).toEqual(["i-1:1", "i-2:1"]);
    expect(next.counts).toMatchObject({ disabled: 1, removed: 1 });
  });
});

describe("reconcile, in process: the health check's comparison", () => {
  const channelReads = () =>
    emu.control.calls().filter((c) => c.method === "GET" && /\/vpc-channels\/[^/]+$/.test(c.path)).length;
  /** A converged member group on a channel without the health check, and a clean call log. */
  const drift = () => {
    emu.control.load(
      baseState({
        instances: [instance("i-1")],
        members: [{ ecs_id: "i-1", ecs_name: "web-i-1", member_group_name: "web" }],
      }),
    );
    emu.control.clearCalls();
  };

  it("a drift is repaired by the first run after the recheck period, or by a run that changes the members", async () => {
    drift();
    let now = Date.parse("2026-11-22T12:00:00Z");
    const run = inProcess(emu, [{ ...webBinding, health_check: HEALTH_CHECK }], { now: () => now });
    const healthChecks = new HealthCheckMemory(3_600_000);
    const deps = { ...run.deps, healthChecks };
    await reconcile(run.bindings, deps, run.options);
    expect(channelReads()).toBe(1);
    expect(writes(emu).map((c) => c.path.split("/").pop())).toEqual(["health-config"]);

    // An operator's edit undoes it; within the hour a converged run does not look.
    drift();
    now += 3_599_000;
    await reconcile(run.bindings, deps, run.options);
    expect(channelReads()).toBe(0);
    expect(writes(emu)).toEqual([]);

    // A run that changes the members compares it, whatever the memory says.
    emu.control.clearCalls();
    emu.control.setInstance({ scaling_group_id: "asg-1", ...instance("i-2") });
    await reconcile(run.bindings, deps, run.options);
    expect(channelReads()).toBe(1);
    expect(
      writes(emu)
        .map((c) => c.path.split("/").pop())
        .sort(),
    ).toEqual(["health-config", "members"]);

    // And past the hour, a converged run compares it again.
    emu.control.clearCalls();
    now += 3_600_000;
    await reconcile(run.bindings, deps, run.options);
    expect(channelReads()).toBe(1);
    expect(writes(emu)).toEqual([]);
  });

  it("a health-config write that fails is compared again by the next run, however recent the last comparison", async () => {
    drift();
    const run = inProcess(emu, [{ ...webBinding, health_check: HEALTH_CHECK }]);
    const deps = { ...run.deps, healthChecks: new HealthCheckMemory(3_600_000) };
    await reconcile(run.bindings, deps, run.options);
    expect(emu.control.state().gateways[0]!.channels[0]!.vpc_health_config).toMatchObject(HEALTH_CHECK);

    // An operator's edit; then a run that changes the members compares it, and its write is refused.
    drift();
    emu.control.setInstance({ scaling_group_id: "asg-1", ...instance("i-2") });
    emu.control.addFault({
      method: "PUT",
      path: "/health-config$",
      status: 400,
      body: { error_code: "APIG.2012", error_msg: "Invalid" },
    });
    await reconcile(run.bindings, deps, run.options);
    expect(emu.control.state().gateways[0]!.channels[0]!.vpc_health_config).toBeUndefined();

    // Converged, and within the hour of the first comparison: compared again all the same.
    emu.control.clearCalls();
    await reconcile(run.bindings, deps, run.options);
    expect(channelReads()).toBe(1);
    expect(emu.control.state().gateways[0]!.channels[0]!.vpc_health_config).toMatchObject(HEALTH_CHECK);
  });
});
