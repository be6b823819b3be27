import { beforeEach, describe, expect, it } from "vitest";
import { reconcile } from "../../src/sync/reconcile";
import type { StateInput } from "../emulator";
import { emulatorForFile } from "../support/emulator-for-file";
import {
  baseState,
  HEALTH_CHECK,
  instance,
  members,
  romaChannel,
  romaInstance,
  webBinding,
  writes,
} from "../support/harness";
import { inProcess } from "./support";

/**
 * Slow start through reconcile() in this process against the emulator. The emulator stamps each new
 * member with its own clock; the runs read theirs from an injected clock set minutes ahead, so a
 * five-minute window passes without waiting for it.
 */
const emu = await emulatorForFile();
beforeEach(() => emu.control.reset());

const weights = () =>
  members(emu)
    .filter((m) => m.member_group_name === "web")
    .map((m) => `${m.ecs_id}:${m.weight}`)
    .sort();

const posts = () => writes(emu).filter((c) => c.method === "POST" && c.path.endsWith("/members"));
const reads = () =>
  emu.control
    .calls()
    .filter((c) => c.method === "GET")
    .map((c) => c.path.split("/").pop());

describe("slow start, in process", () => {
  it("adds at a tenth, raises once a step in one POST per step, counts ramping, and writes nothing within a step or past the window", async () => {
    emu.control.load(baseState({ instances: [instance("i-1"), instance("i-2"), instance("i-3")] }));
    let aheadMs = 0;
    const run = inProcess(emu, [{ ...webBinding, weight: 10, slow_start_seconds: 300 }], {
      now: () => Date.now() + aheadMs,
    });
    const at = async (seconds: number) => {
      aheadMs = seconds * 1000;
      emu.control.clearCalls();
      return reconcile(run.bindings, run.deps, run.options);
    };

    const added = await at(0);
    expect(weights()).toEqual(["i-1:1", "i-2:1", "i-3:1"]);
    expect(added.counts).toMatchObject({ added: 3, ramping: 0, updated: 0 });
    expect(added.plan.filter((e) => e.action === "add")).toEqual(
      ["i-1", "i-2", "i-3"].map((id) =>
        expect.objectContaining({
          instance_id: id,
          to: { weight: 1 },
          reason: "slow_start",
          slow_start_percent: 0,
        }),
      ),
    );

    // Still in the first fifth of the window: nothing to write.
    const early = await at(30);
    expect(posts()).toEqual([]);
    expect(early.counts).toMatchObject({ ramping: 0, unchanged: 3 });

    // Each later fifth: one raise for every member, all in one POST, counted as ramping.
    const steps: [number, string, number][] = [
      [70, "2", 20],
      [130, "4", 40],
      [190, "6", 60],
      [250, "8", 80],
      [310, "10", 100],
    ];
    for (const [seconds, weight, percent] of steps) {
      const raised = await at(seconds);
      expect(weights(), `${seconds} s`).toEqual(["i-1", "i-2", "i-3"].map((id) => `${id}:${weight}`));
      expect(posts(), `${seconds} s`).toHaveLength(1);
      // A raise reads nothing more than a converged run: members, instances (no channel read).
      expect(reads(), `${seconds} s`).toEqual(["members", "list"]);
      expect(raised.counts).toMatchObject({ ramping: 3, updated: 0, added: 0 });
      expect(raised.plan).toEqual(
        ["i-1", "i-2", "i-3"].map((id) =>
          expect.objectContaining({
            action: "ramp",
            instance_id: id,
            changes: ["weight"],
            to: { weight: Number(weight) },
            reason: "slow_start",
            slow_start_percent: percent,
            status: "done",
          }),
        ),
      );
    }

    // Past the window, converged: zero writes, as without slow start.
    await at(900);
    expect(writes(emu)).toEqual([]);
    expect(run.deadLetters.records).toEqual([]);
  });

  it("on APIG with a health check, holds a member the gateway does not call healthy, then raises it to the current step", async () => {
    const sevenHundredSecondsAgo = new Date(Date.now() - 700_000).toISOString();
    const member = (id: string, health: "healthy" | "unhealthy" | "unknown") => ({
      ecs_id: id,
      ecs_name: `web-${id}`,
      member_group_name: "web",
      weight: 1,
      create_time: sevenHundredSecondsAgo,
      health_status: health,
    });
    emu.control.load({
      gateways: [
        {
          instance_id: "apig-1",
          kind: "apig",
          channels: [
            {
              ...romaChannel({ groups: ["web"] }),
              vpc_health_config: {
                protocol: "TCP",
                threshold_normal: 2,
                threshold_abnormal: 3,
                time_interval: 10,
                timeout: 5,
              },
              members: [member("i-1", "healthy"), member("i-2", "unhealthy"), member("i-3", "unknown")],
            },
          ],
        },
      ],
      scaling_groups: [
        {
          scaling_group_id: "asg-1",
          scaling_group_name: "web",
          instances: [instance("i-1"), instance("i-2"), instance("i-3")],
        },
      ],
    } as StateInput);
    const binding = {
      ...webBinding,
      gateway: "apig" as const,
      instance_id: "apig-1",
      weight: 10,
      slow_start_seconds: 1000,
    };
    const run = inProcess(emu, [binding]);
    const apigWeights = () =>
      members(emu, "apig-1")
        .map((m) => `${m.ecs_id}:${m.weight}`)
        .sort();

    // 700 s into a 1000 s window (steps of 200 s): step 3, weight 6, for the healthy member only.
    const first = await reconcile(run.bindings, run.deps, run.options);
    expect(apigWeights()).toEqual(["i-1:6", "i-2:1", "i-3:1"]);
    expect(first.counts).toMatchObject({ ramping: 1, unchanged: 2 });

    emu.control.setMemberHealth({
      instance_id: "apig-1",
      vpc_channel_id: "chan-1",
      ecs_id: "i-2",
      health_status: "healthy",
    });
    const second = await reconcile(run.bindings, run.deps, run.options);
    expect(apigWeights()).toEqual(["i-1:6", "i-2:6", "i-3:1"]);
    expect(second.counts).toMatchObject({ ramping: 1 });
  });

  it("warns about a member group with a member_group_weight when it reads the channel, and never about one it created", async () => {
    emu.control.load({
      gateways: romaInstance([
        {
          ...romaChannel({ groups: ["other"] }),
          member_groups: [
            { member_group_name: "web", member_group_weight: 5 },
            { member_group_name: "other" },
          ],
        },
        romaChannel({ id: "chan-2", groups: ["other"] }),
      ]),
      scaling_groups: [
        { scaling_group_id: "asg-1", scaling_group_name: "web", instances: [instance("i-1")] },
        { scaling_group_id: "asg-2", scaling_group_name: "batch", instances: [instance("b-1")] },
      ],
    } as StateInput);
    // chan-1's read compares its health check; chan-2's follows the add refused for its missing group.
    const bindings = [
      { ...webBinding, slow_start_seconds: 60, weight: 10, health_check: HEALTH_CHECK },
      {
        ...webBinding,
        scaling_group_id: "asg-2",
        vpc_channel_id: "chan-2",
        slow_start_seconds: 60,
        weight: 10,
      },
    ];
    const run = inProcess(emu, bindings);
    await reconcile(run.bindings, run.deps, run.options);
    const warnings = run.logs.filter((l) => String(l.msg).includes("member_group_weight"));
    expect(warnings).toEqual([
      expect.objectContaining({
        level: "warn",
        channel: "roma/roma-1/chan-1",
        member_group_name: "web",
        member_group_weight: 5,
        // What it does and the remedy: the operator acts on this line alone.
        msg: "member group web has member_group_weight 5: the gateway assigns its members' weights from it, overriding the binding's weight and slow_start_seconds; remove the group weight",
      }),
    ]);
    // The group it created on chan-2 carries no member_group_weight, and a run reading it again finds none.
    const created = emu.control
      .state()
      .gateways[0]!.channels[1]!.member_groups.find((g) => g.member_group_name === "web");
    expect(created).toBeDefined();
    expect(created).not.toHaveProperty("member_group_weight");
    const channel = await run.deps.gateway.showChannel({
      gateway: "roma",
      instance_id: "roma-1",
      vpc_channel_id: "chan-2",
    });
    expect(
      channel.member_groups?.find((g) => g.member_group_name === "web")?.member_group_weight,
    ).toBeUndefined();
  });
});
