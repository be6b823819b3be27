/**
 * Slow start through the built bundles against the emulator. Where to be in a window is set through
 * state (members whose create_time lies in the past, in the middle of a step); the one test that lets
 * a window pass in real seconds asserts only what holds however slow the machine is.
 */
import { beforeEach, describe, expect, it } from "vitest";
import type { StateInput } from "../emulator";
import { emulatorForFile } from "../support/emulator-for-file";
import {
  type Binding,
  baseState,
  envFor,
  instance,
  invoke,
  members,
  romaGateway,
  smnEvent,
  timerEvent,
  webBinding,
  writes,
} from "../support/harness";

const emu = await emulatorForFile();
beforeEach(() => emu.control.reset());

const webWeights = () =>
  members(emu)
    .filter((m) => m.member_group_name === "web")
    .map((m) => `${m.ecs_id}:${m.weight}`)
    .sort();

describe("slow start, end to end", () => {
  const HOUR: Binding = { ...webBinding, weight: 100, slow_start_seconds: 3600 };

  /** Members at weight 10 (the start) created this many seconds ago: each in the middle of a 720 s step. */
  function loadAged(ages: Record<string, number>) {
    const ids = Object.keys(ages);
    emu.control.load({
      ...baseState({ instances: [...ids, "i-new"].map((id) => instance(id)) }),
      gateways: romaGateway(
        ids.map((id) => ({
          ecs_id: id,
          ecs_name: `web-${id}`,
          member_group_name: "web",
          weight: 10,
          create_time: new Date(Date.now() - ages[id]! * 1000).toISOString(),
        })),
      ),
    } as StateInput);
  }

  it("a timer run raises each member to its step, adds a new one at a tenth, and the next run writes nothing", async () => {
    loadAged({ "i-0": 300, "i-1": 1000, "i-2": 1800, "i-4": 3200, "i-5": 4000 });
    const env = envFor(emu, [HOUR]);

    const first = await invoke("reconcile", timerEvent(), { env });
    expect(first.error).toBeUndefined();
    expect(webWeights()).toEqual(["i-0:10", "i-1:28", "i-2:46", "i-4:82", "i-5:100", "i-new:10"]);
    expect(first.summary).toMatchObject({ added: 1, ramping: 4, updated: 0, unchanged: 1, dead_lettered: 0 });
    expect(
      first.summary!.plan.map((e) => [
        e.action,
        e.instance_id,
        (e.to as { weight?: number })?.weight,
        e.slow_start_percent,
      ]),
    ).toEqual([
      ["ramp", "i-1", 28, 20],
      ["ramp", "i-2", 46, 40],
      ["ramp", "i-4", 82, 80],
      ["ramp", "i-5", 100, 100],
      ["add", "i-new", 10, 0],
    ]);
    // One POST for the adds and the raises together: the members API is an upsert.
    expect(writes(emu).map((c) => `${c.method} ${c.path.split("/").slice(-2).join("/")}`)).toEqual([
      "POST chan-1/members",
    ]);

    emu.control.clearCalls();
    const second = await invoke("reconcile", timerEvent(), { env });
    expect(writes(emu)).toEqual([]);
    expect(second.summary).toMatchObject({ ramping: 0, added: 0, unchanged: 6 });
  });

  it("a dry run shows the ramp steps and writes nothing", async () => {
    loadAged({ "i-1": 1000 });
    const env = envFor(emu, [HOUR]);
    emu.control.clearCalls();
    const dry = await invoke("backfill", { dry_run: true }, { env });
    expect(writes(emu)).toEqual([]);
    expect(dry.summary?.dry_run).toBe(true);
    expect(dry.summary?.plan).toEqual([
      expect.objectContaining({
        action: "ramp",
        instance_id: "i-1",
        changes: ["weight"],
        from: { weight: 10 },
        to: { weight: 28 },
        reason: "slow_start",
        slow_start_percent: 20,
        status: "planned",
      }),
      expect.objectContaining({ action: "add", instance_id: "i-new", to: { weight: 10 }, status: "planned" }),
    ]);
    expect(webWeights()).toEqual(["i-1:10"]);
  });

  it("over a window of a few real seconds: added at a tenth, raised in steps under the line, at most 5 times, then left alone", async () => {
    const WINDOW_S = 3;
    emu.control.load(baseState({ instances: [instance("i-1")] }));
    const env = envFor(emu, [{ ...webBinding, weight: 10, slow_start_seconds: WINDOW_S }]);

    const add = await invoke("scaling-events", smnEvent(JSON.stringify({ scaling_group_id: "asg-1" })), {
      env,
    });
    expect(add.summary).toMatchObject({ added: 1, ramping: 0 });
    const member = () => members(emu).find((m) => m.ecs_id === "i-1")!;
    const created = Date.parse(member().create_time);
    const line = (at: number) => Math.min(10, 1 + (9 * Math.max(0, at - created)) / (WINDOW_S * 1000));
    const seen = [member().weight];
    let ramping = 0;
    // Timer runs, as often as this machine manages, until the window is over.
    for (;;) {
      const startedAfterWindow = Date.now() - created >= WINDOW_S * 1000;
      const run = await invoke("reconcile", timerEvent(), { env });
      const finished = Date.now();
      expect(run.summary?.dead_lettered).toBe(0);
      ramping += run.summary!.ramping;
      const weight = member().weight;
      // Never above the line as it stood when the run was over (the run's clock read earlier).
      expect(weight).toBeLessThanOrEqual(line(finished));
      expect([1, 2, 4, 6, 8, 10]).toContain(weight);
      expect(weight).toBeGreaterThanOrEqual(seen.at(-1)!);
      if (weight !== seen.at(-1)) seen.push(weight);
      if (startedAfterWindow) break;
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    expect(seen[0]).toBe(1);
    expect(seen.at(-1)).toBe(10);
    // Every raise was counted as ramping, and there were no more than the ramp's five.
    expect(ramping).toBe(seen.length - 1);
    expect(ramping).toBeLessThanOrEqual(5);
    emu.control.clearCalls();
    const after = await invoke("reconcile", timerEvent(), { env });
    expect(writes(emu)).toEqual([]);
    expect(after.summary).toMatchObject({ ramping: 0, updated: 0, unchanged: 1 });
  });
});
