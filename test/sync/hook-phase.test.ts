import { beforeEach, describe, expect, it } from "vitest";
import type { TargetOutcome } from "../../src/plan/decide-hook";
import { GroupStateReader } from "../../src/sync/group-state";
import { HookPhase } from "../../src/sync/hook-phase";
import { RunLedger } from "../../src/sync/ledger";
import type { StateInput } from "../emulator";
import { emulatorForFile } from "../support/emulator-for-file";
import { type Binding, baseState, instance, romaChannel, webBinding } from "../support/harness";
import { type InProcess, inProcess, onlyTarget } from "./support";

/**
 * The lifecycle-hook phase (src/sync/hook-phase.ts) in this process, through SyncDeps, against the
 * emulator: hooks and instances are read from it, callbacks land in it. The targets' outcomes are
 * what the member writes would have left (here: what the channel holds).
 */
const emu = await emulatorForFile();
beforeEach(() => emu.control.reset());

const HOOKS = [
  { lifecycle_hook_name: "launch", lifecycle_hook_type: "INSTANCE_LAUNCHING" as const },
  { lifecycle_hook_name: "terminate", lifecycle_hook_type: "INSTANCE_TERMINATING" as const },
];

const withHooks = (state: StateInput): StateInput => ({
  ...state,
  scaling_groups: (state.scaling_groups ?? []).map((g) => ({ ...g, lifecycle_hooks: HOOKS })),
});

function apigState(members: unknown[]): StateInput {
  const channel = { ...romaChannel({ id: "chan-a", port: 443, groups: ["web"], members }) };
  return withHooks({
    gateways: [
      {
        instance_id: "apig-1",
        kind: "apig",
        channels: [
          {
            ...channel,
            vpc_health_config: {
              protocol: "TCP",
              threshold_normal: 2,
              threshold_abnormal: 3,
              time_interval: 10,
              timeout: 5,
            },
          },
        ],
      },
    ],
    scaling_groups: [
      { scaling_group_id: "asg-1", instances: [instance("i-2", "PENDING_WAIT", "INITIALIZING")] },
    ],
  } as StateInput);
}

const apigBinding: Binding = {
  ...webBinding,
  gateway: "apig",
  instance_id: "apig-1",
  vpc_channel_id: "chan-a",
};

/** Runs the hook phase for the one target, with the outcome the channel's current members give. */
async function runHooks(run: InProcess, outcome: Partial<TargetOutcome> = {}) {
  const target = onlyTarget(run.bindings);
  const listed = await run.deps.gateway.listGroupMembers(target.channel, target.memberGroupName);
  const reader = new GroupStateReader(run.deps.autoscaling);
  await reader.read("asg-1", reader.mark());
  const ledger = new RunLedger(run.bindings, run.deps.deadLetters);
  const phase = new HookPhase(
    run.deps,
    run.options,
    ledger,
    run.deps.now ?? Date.now,
    run.deps.sleep ?? (async () => undefined),
  );
  await phase.run(
    [
      {
        target,
        failed: false,
        present: new Map(listed.filter((m) => m.ecs_id).map((m) => [m.ecs_id!, m])),
        lingering: new Set(),
        channel: undefined,
        ...outcome,
      },
    ],
    await reader.settled(),
  );
  return ledger;
}

const group = () => emu.control.state().scaling_groups.find((g) => g.scaling_group_id === "asg-1")!;
const lifeCycle = (id: string) => group().instances.find((i) => i.instance_id === id)?.life_cycle_state;
const hookEntries = (ledger: RunLedger) =>
  ledger.plan.map((e) => [e.action, e.instance_id, e.result ?? "", e.status, e.reason]);

describe("HookPhase, in process", () => {
  it("continues a launch hook once the member is registered, and leaves one waiting whose member is not", async () => {
    emu.control.load(
      withHooks(
        baseState({
          instances: [
            instance("i-2", "PENDING_WAIT", "INITIALIZING"),
            instance("i-3", "PENDING_WAIT", "INITIALIZING"),
          ],
          members: [{ ecs_id: "i-2", ecs_name: "web-i-2", member_group_name: "web" }],
        }),
      ),
    );
    for (const id of ["i-2", "i-3"])
      emu.control.addHangingHook({
        scaling_group_id: "asg-1",
        instance_id: id,
        lifecycle_hook_name: "launch",
      });
    const run = inProcess(emu, [webBinding]);
    const ledger = await runHooks(run);
    expect(hookEntries(ledger)).toEqual([
      ["complete_hook", "i-2", "CONTINUE", "done", "member registered"],
      ["wait_hook", "i-3", "", "skipped", "member not registered"],
    ]);
    expect(lifeCycle("i-2")).toBe("INSERVICE");
    expect(group().hanging.map((h) => h.instance_id)).toEqual(["i-3"]);
    expect(ledger.result().counts).toMatchObject({ hooks_completed: 1 });
  });

  it("continues a terminate hook only once the member is gone", async () => {
    emu.control.load(
      withHooks(
        baseState({
          instances: [instance("i-9", "REMOVING_WAIT")],
          members: [{ ecs_id: "i-9", ecs_name: "web-i-9", member_group_name: "web", status: 2 }],
        }),
      ),
    );
    emu.control.addHangingHook({
      scaling_group_id: "asg-1",
      instance_id: "i-9",
      lifecycle_hook_name: "terminate",
    });
    const run = inProcess(emu, [webBinding]);
    // The member is still in the group (its delete failed, say): the hook waits.
    const waiting = await runHooks(run, { lingering: new Set(["i-9"]) });
    expect(hookEntries(waiting)).toEqual([["wait_hook", "i-9", "", "skipped", "member not removed yet"]]);
    expect(group().hanging).toHaveLength(1);

    const member = emu.control.state().gateways[0]!.channels[0]!.members[0]!;
    await run.deps.gateway.deleteMember(onlyTarget(run.bindings).channel, member.id);
    const done = await runHooks(run);
    expect(hookEntries(done)).toEqual([
      ["complete_hook", "i-9", "CONTINUE", "done", "member drained and removed"],
    ]);
    expect(group().hanging).toEqual([]);
  });

  it("on APIG, polls member health within the run and continues once the member reports healthy", async () => {
    emu.control.load(
      apigState([{ ecs_id: "i-2", ecs_name: "web-i-2", member_group_name: "web", health_status: "unknown" }]),
    );
    emu.control.addHangingHook({
      scaling_group_id: "asg-1",
      instance_id: "i-2",
      lifecycle_hook_name: "launch",
    });
    // The gateway's health check turns the member healthy during the second poll interval.
    let polls = 0;
    const run = inProcess(emu, [apigBinding], {
      sleep: async () => {
        polls += 1;
        if (polls === 2) {
          emu.control.setMemberHealth({
            instance_id: "apig-1",
            vpc_channel_id: "chan-a",
            health_status: "healthy",
          });
        }
      },
    });
    const ledger = await runHooks(run);
    expect(polls).toBe(2);
    expect(hookEntries(ledger)).toEqual([["complete_hook", "i-2", "CONTINUE", "done", "member registered"]]);
    expect(lifeCycle("i-2")).toBe("INSERVICE");
  });

  it("on APIG, leaves the hook waiting when health does not come within the wait, and abandons it past healthy_timeout_seconds", async () => {
    const created = new Date(Date.now() - 60_000).toISOString();
    const member = {
      ecs_id: "i-2",
      ecs_name: "web-i-2",
      member_group_name: "web",
      health_status: "unhealthy",
      create_time: created,
    };
    emu.control.load(apigState([member]));
    emu.control.addHangingHook({
      scaling_group_id: "asg-1",
      instance_id: "i-2",
      lifecycle_hook_name: "launch",
    });
    const waiting = await runHooks(inProcess(emu, [apigBinding], { sleep: async () => undefined }));
    expect(hookEntries(waiting)).toEqual([["wait_hook", "i-2", "", "skipped", "member health is unhealthy"]]);
    expect(group().hanging).toHaveLength(1);

    // Five minutes later (healthy_timeout_seconds defaults to 300) it is still unhealthy.
    const later = inProcess(emu, [apigBinding], {
      now: () => Date.now() + 300_000,
      sleep: async () => undefined,
    });
    const abandoned = await runHooks(later);
    expect(hookEntries(abandoned)).toEqual([
      ["complete_hook", "i-2", "ABANDON", "done", "member not healthy within healthy_timeout_seconds"],
    ]);
    expect(group().hanging).toEqual([]);
  });
});
