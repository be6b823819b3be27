import { EventEmitter } from "node:events";
import { afterEach, describe, expect, it, vi } from "vitest";
import { InterruptWatch } from "../../src/cli/interrupt";
import { leftUndone, renderInterrupted } from "../../src/cli/interrupted";
import { BindingSchema } from "../../src/config/schema";
import type { PlanEntry } from "../../src/plan/types";

afterEach(() => {
  vi.useRealTimers();
});

describe("InterruptWatch", () => {
  it("aborts on the first signal, calls `again` on later ones, and lets go of the source", () => {
    const source = new EventEmitter();
    const seen: string[] = [];
    const watch = new InterruptWatch(source as never, {
      first: (s) => seen.push(`first ${s}`),
      again: (s) => seen.push(`again ${s}`),
    });
    expect(watch.signal.aborted).toBe(false);
    source.emit("SIGTERM", "SIGTERM");
    expect(watch.signal.aborted).toBe(true);
    expect(watch.interruptedBy).toBe("SIGTERM");
    source.emit("SIGINT", "SIGINT");
    expect(seen).toEqual(["first SIGTERM", "again SIGINT"]);
    watch.dispose();
    expect(source.listenerCount("SIGINT") + source.listenerCount("SIGTERM")).toBe(0);
  });

  it("bounds the wind-down: graceEnded resolves the given time after the first signal, never without one", async () => {
    vi.useFakeTimers();
    const source = new EventEmitter();
    const watch = new InterruptWatch(source as never, { first: () => {}, again: () => {} }, 5_000);
    let ended = false;
    void watch.graceEnded().then(() => {
      ended = true;
    });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(ended).toBe(false);
    source.emit("SIGINT", "SIGINT");
    await vi.advanceTimersByTimeAsync(4_999);
    expect(ended).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(ended).toBe(true);
    watch.dispose();
  });
});

describe("what an interrupted run left to do", () => {
  const entry = (e: Partial<PlanEntry>): PlanEntry => ({
    action: "add",
    channel: "roma/roma-1/chan-1",
    member_group_name: "web",
    status: "done",
    ...e,
  });
  const binding = BindingSchema().parse({
    scaling_group_id: "asg-2",
    instance_id: "roma-1",
    vpc_channel_id: "chan-2",
    member_group_name: "api",
  });

  it("a member disabled and deleted is done; one disabled and not deleted is left, like a waiting hook", () => {
    const plan = [
      entry({ action: "disable", instance_id: "i-a", member_id: "m-a" }),
      entry({ action: "delete", instance_id: "i-a", member_id: "m-a" }),
      entry({ action: "disable", instance_id: "i-b", member_id: "m-b" }),
      entry({ action: "complete_hook", instance_id: "i-c", scaling_group_id: "asg-1", status: "failed" }),
      entry({ action: "wait_hook", instance_id: "i-d", scaling_group_id: "asg-1", status: "skipped" }),
      entry({ action: "add", instance_id: "i-e", status: "failed" }),
    ];
    const left = leftUndone(plan);
    expect(left.disabledNotDeleted.map((e) => e.instance_id)).toEqual(["i-b"]);
    expect(left.hooksWaiting.map((e) => e.instance_id)).toEqual(["i-c", "i-d"]);
    expect(left.otherNotDone).toBe(1);
    expect(renderInterrupted("SIGTERM", plan, [], [binding])).toBe(
      [
        "Interrupted by SIGTERM: no call was sent after it. Left to do:",
        "  disabled, not deleted: member m-b of ECS instance i-b (channel roma/roma-1/chan-1, member group web)",
        "  hook still waiting: ECS instance i-c of scaling group asg-1",
        "  hook still waiting: ECS instance i-d of scaling group asg-1",
        "  1 more action not done (STATUS above)",
        "  still running when the CLI stopped waiting, outcome unknown: asg-2 → channel roma/roma-1/chan-2, member group api",
        "",
      ].join("\n"),
    );
    expect(renderInterrupted("SIGINT", [entry({})], [], [])).toBe(
      "Interrupted by SIGINT: no call was sent after it; nothing was left to do.\n",
    );
  });
});
