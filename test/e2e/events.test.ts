/**
 * Events as AS and FunctionGraph actually send them, through the built bundles: AS's documented
 * lifecycle-hook message (AS user guide, "Lifecycle hooks"), FunctionGraph's own TIMER example event
 * (its Node.js runtime samples, fg-timer-event), and a
 * notification about a group no binding has.
 */
import { beforeEach, describe, expect, it } from "vitest";
import hookSample from "../fixtures/as-lifecycle-hook-message.json";
import { emulatorForFile } from "../support/emulator-for-file";
import {
  type Binding,
  envFor,
  instance,
  invoke,
  members,
  romaGateway,
  smnEvent,
  timerEvent,
} from "../support/harness";

const emu = await emulatorForFile();

/** The sample of the AS user guide ("Lifecycle hooks", notification topic), unchanged. */
const HOOK_MESSAGE = hookSample;
const GROUP = HOOK_MESSAGE.scaling_group.scaling_group_id;
const INSTANCE = HOOK_MESSAGE.scaling_instance.instance_id;

const bindings: Binding[] = [
  { scaling_group_id: GROUP, instance_id: "roma-1", vpc_channel_id: "chan-1", member_group_name: "web" },
  { scaling_group_id: "asg-2", instance_id: "roma-1", vpc_channel_id: "chan-1", member_group_name: "batch" },
];
const env = () => envFor(emu, bindings);

beforeEach(() => {
  emu.control.reset();
  emu.control.load({
    gateways: romaGateway([], ["web", "batch"]),
    scaling_groups: [
      {
        scaling_group_id: GROUP,
        scaling_group_name: "as-group-wyz01",
        instances: [{ ...instance(INSTANCE, "PENDING_WAIT"), instance_name: "as-config-kxeg_RM6OCREY" }],
        lifecycle_hooks: [{ lifecycle_hook_name: "test02", lifecycle_hook_type: "INSTANCE_LAUNCHING" }],
      },
      // Drift in another bound group: an instance with no member yet.
      { scaling_group_id: "asg-2", scaling_group_name: "batch", instances: [instance("b-1")] },
    ],
  } as never);
  emu.control.addHangingHook({
    scaling_group_id: GROUP,
    instance_id: INSTANCE,
    lifecycle_hook_name: "test02",
    lifecycle_action_key: HOOK_MESSAGE.lifecycle_action_key,
  });
});

const memberGroups = () =>
  members(emu)
    .map((m) => `${m.member_group_name}/${m.ecs_id}`)
    .sort();
const group = (id: string) => emu.control.state().scaling_groups.find((g) => g.scaling_group_id === id)!;

describe("AS's documented lifecycle-hook message", () => {
  it("registers its instance, completes its hook, and touches only its own group's bindings", async () => {
    const inv = await invoke("scaling-events", smnEvent(JSON.stringify(HOOK_MESSAGE)), { env: env() });
    expect(inv.error).toBeUndefined();
    expect(inv.summary).toMatchObject({ bindings: 1, added: 1, hooks_completed: 1, dead_lettered: 0 });
    expect(memberGroups()).toEqual([`web/${INSTANCE}`]);
    expect(group(GROUP).hanging).toEqual([]);
    expect(group(GROUP).instances[0]!.life_cycle_state).toBe("INSERVICE");
    // asg-2 was neither read nor written: its drift waits for its own event or the timer.
    expect(emu.control.calls().filter((c) => c.path.includes("asg-2"))).toEqual([]);
    const callback = emu.control.calls().find((c) => c.path.endsWith("/callback"));
    expect(callback?.body).toMatchObject({ lifecycle_action_result: "CONTINUE" });
    // The structured fields reach the run's log.
    const started = inv.logs.find((l) => l.action === "start");
    expect(started?.hints).toEqual({
      scalingGroupIds: [GROUP],
      instanceIds: [INSTANCE],
      lifecycleActionKeys: [HOOK_MESSAGE.lifecycle_action_key],
      lifecycleHookNames: ["test02"],
      lifecycleHookTypes: ["INSTANCE_LAUNCHING"],
    });
  });

  it("of a group no binding has: logged, and nothing is called", async () => {
    const stray = {
      ...HOOK_MESSAGE,
      scaling_group: { ...HOOK_MESSAGE.scaling_group, scaling_group_id: "asg-x" },
    };
    const inv = await invoke("scaling-events", smnEvent(JSON.stringify(stray)), { env: env() });
    expect(inv.error).toBeUndefined();
    expect(inv.summary).toMatchObject({ bindings: 0, added: 0, hooks_completed: 0, dead_lettered: 0 });
    expect(emu.control.calls()).toEqual([]);
    expect(inv.logs).toContainEqual(
      expect.objectContaining({
        level: "warn",
        action: "read_event",
        msg: expect.stringContaining("no binding has (asg-x)"),
      }),
    );
  });

  it("a message that names no group still reconciles every binding", async () => {
    const inv = await invoke("scaling-events", smnEvent("instances changed"), { env: env() });
    expect(inv.summary).toMatchObject({ bindings: 2, added: 2, hooks_completed: 1 });
    expect(memberGroups()).toEqual(["batch/b-1", `web/${INSTANCE}`]);
  });
});

describe("FunctionGraph's example TIMER event", () => {
  it("is a note: every binding is reconciled, and a warning says why", async () => {
    const inv = await invoke(
      "reconcile",
      timerEvent('{"message": "timer triggered event", "topic":"test"}'),
      {
        env: env(),
      },
    );
    expect(inv.error).toBeUndefined();
    expect(inv.summary).toMatchObject({ bindings: 2, added: 2, hooks_completed: 1, dead_lettered: 0 });
    expect(memberGroups()).toEqual(["batch/b-1", `web/${INSTANCE}`]);
    expect(inv.logs).toContainEqual(
      expect.objectContaining({
        level: "warn",
        action: "read_event",
        msg: expect.stringMatching(/^TIMER user_event is a note, not a backfill payload/),
      }),
    );
  });
});
