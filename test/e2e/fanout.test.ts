import { describe, expect, it } from "vitest";
import type { StateInput } from "../emulator";
import { emulatorForFile } from "../support/emulator-for-file";
import { envFor, instance, invoke, romaChannel, romaInstance, timerEvent, writes } from "../support/harness";

const URN = "urn:fss:cn-north-4:proj:function:default:channel-autoscaler-backfill:latest";
const emu = await emulatorForFile();

const channels = ["c1", "c2", "c3", "c4", "c5"];
function state(): StateInput {
  return {
    gateways: romaInstance(channels.map((id) => romaChannel({ id, port: 80, groups: ["web"] }))),
    scaling_groups: channels.map((c) => ({
      scaling_group_id: `asg-${c}`,
      instances: [instance(`${c}-i1`), instance(`${c}-i2`)],
    })),
    functions: [{ func_urn: URN }],
  } as StateInput;
}
const bindings = channels.map((c) => ({
  scaling_group_id: `asg-${c}`,
  instance_id: "roma-1",
  vpc_channel_id: c,
  member_group_name: "web",
  drain_seconds: 0,
}));

describe("reconcile fan-out", () => {
  it("hands shards of bindings to async backfill invocations, and the backfills converge", async () => {
    emu.control.reset();
    emu.control.load(state());
    const env = envFor(emu, bindings, {
      BACKFILL_FUNCTION_URN: URN,
      FANOUT_THRESHOLD: "3",
      FANOUT_SHARD_SIZE: "2",
    });
    const res = await invoke("reconcile", timerEvent(), { env });
    expect(res.error).toBeUndefined();
    expect(res.summary?.plan.map((p) => [p.action, p.scaling_group_ids, p.status])).toEqual([
      ["fan_out", ["asg-c1", "asg-c2"], "done"],
      ["fan_out", ["asg-c3", "asg-c4"], "done"],
      ["fan_out", ["asg-c5"], "done"],
    ]);
    // Nothing was reconciled here: only the three signed async invocations were written.
    expect(writes(emu).map((c) => c.service)).toEqual(["fgs", "fgs", "fgs"]);
    const queued = emu.control.state().functions![0]!.invocations.map((i) => i.body);
    expect(queued).toEqual([
      { scaling_group_ids: ["asg-c1", "asg-c2"] },
      { scaling_group_ids: ["asg-c3", "asg-c4"] },
      { scaling_group_ids: ["asg-c5"] },
    ]);

    // What FunctionGraph would do next: run backfill with each queued event.
    for (const event of queued) {
      const run = await invoke("backfill", event, { env });
      expect(run.summary?.added).toBeGreaterThan(0);
    }
    const members = emu.control.state().gateways[0]!.channels.flatMap((c) => c.members.map((m) => m.ecs_id));
    expect(members.sort()).toEqual(channels.flatMap((c) => [`${c}-i1`, `${c}-i2`]).sort());
  });

  it("stays in one invocation below the threshold, and for a dry run", async () => {
    emu.control.reset();
    emu.control.load(state());
    const env = envFor(emu, bindings, { BACKFILL_FUNCTION_URN: URN, FANOUT_THRESHOLD: "10" });
    const res = await invoke("reconcile", timerEvent(), { env });
    expect(res.summary?.added).toBe(10);
    expect(emu.control.state().functions![0]!.invocations).toEqual([]);
    const dry = await invoke("reconcile", timerEvent('{"dry_run":true}'), {
      env: { ...env, FANOUT_THRESHOLD: "1" },
    });
    expect(dry.summary?.plan.some((p) => p.action === "fan_out")).toBe(false);
  });

  it("dead-letters the bindings of a shard that cannot be queued", async () => {
    emu.control.reset();
    emu.control.load(state());
    emu.control.addFault({
      service: "fgs",
      status: 403,
      times: 1,
      body: { error_code: "FSS.1051", error_msg: "no permission" },
    });
    const env = envFor(emu, bindings, {
      BACKFILL_FUNCTION_URN: URN,
      FANOUT_THRESHOLD: "3",
      FANOUT_SHARD_SIZE: "2",
    });
    const res = await invoke("reconcile", timerEvent(), { env });
    expect(res.summary?.dead_lettered).toBe(2);
    expect(
      res.deadLetters.map((d) => [d.action, (d.replay as { scaling_group_ids: string[] }).scaling_group_ids]),
    ).toEqual([
      ["fan_out", ["asg-c1"]],
      ["fan_out", ["asg-c2"]],
    ]);
  });
});
