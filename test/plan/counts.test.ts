import { describe, expect, it } from "vitest";
import { countsOf, membersChanged, plannedCounts } from "../../src/plan/counts";
import type { PlanEntry } from "../../src/plan/types";

const entry = (action: PlanEntry["action"], status: PlanEntry["status"], extra: Partial<PlanEntry> = {}) =>
  ({ action, channel: "roma/inst/chan", status, ...extra }) as PlanEntry;

describe("countsOf: the summary's counts, derived from the plan", () => {
  it("counts only what was done, each action under its summary field", () => {
    const plan = [
      entry("add", "done"),
      entry("add", "failed"),
      entry("add", "planned"),
      entry("update", "done"),
      entry("ramp", "done"),
      entry("ramp", "done"),
      entry("ramp", "failed"),
      entry("enable", "done"),
      entry("disable", "done"),
      entry("delete", "done"),
      entry("delete", "done", { already_done: true }),
      entry("complete_hook", "done"),
      entry("wait_hook", "skipped"),
      entry("update_channel", "done"),
      entry("fan_out", "done"),
      entry("quarantine", "done"),
      entry("quarantine", "skipped"),
    ];
    expect(countsOf(plan, 3, { unchanged: 7 })).toEqual({
      bindings: 3,
      added: 1,
      updated: 2,
      disabled: 1,
      removed: 2,
      unchanged: 7,
      hooks_completed: 1,
      ramping: 2,
      quarantined: 1,
      quarantine_guarded: 0,
    });
  });

  it("counts a member found gone when disabling it as removed, and a hook someone else completed not at all", () => {
    const plan = [
      entry("disable", "done", { already_done: true }),
      entry("complete_hook", "done", { already_done: true }),
    ];
    expect(countsOf(plan, 1)).toMatchObject({ disabled: 0, removed: 1, hooks_completed: 0, unchanged: 0 });
  });

  it("takes the findings that are no action from the run: unchanged members, a tripped quarantine guard", () => {
    expect(countsOf([], 2, { unchanged: 4, quarantine_guarded: 1 })).toMatchObject({
      unchanged: 4,
      quarantine_guarded: 1,
      quarantined: 0,
    });
  });

  it("counts nothing in a dry run, where every entry stays planned", () => {
    const plan = (["add", "update", "ramp", "enable", "disable", "delete", "complete_hook"] as const).map(
      (a) => entry(a, "planned"),
    );
    expect(countsOf(plan, 2)).toEqual({
      bindings: 2,
      added: 0,
      updated: 0,
      disabled: 0,
      removed: 0,
      unchanged: 0,
      hooks_completed: 0,
      ramping: 0,
      quarantined: 0,
      quarantine_guarded: 0,
    });
  });
});

describe("plannedCounts: what a dry run's plan would do, in the summary's words", () => {
  it("counts every entry whatever its status; an update and a re-enable are both updates, a ramp step ramping", () => {
    const plan = [
      entry("add", "planned"),
      entry("update", "planned"),
      entry("ramp", "planned"),
      entry("enable", "planned"),
      entry("disable", "planned"),
      entry("delete", "planned"),
      entry("complete_hook", "planned"),
      entry("wait_hook", "skipped"),
      entry("update_channel", "planned"),
      entry("quarantine", "planned"),
      entry("fan_out", "planned"),
    ];
    expect(plannedCounts(plan)).toEqual({
      added: 1,
      updated: 2,
      disabled: 1,
      removed: 1,
      hooks_completed: 1,
      ramping: 1,
      quarantined: 1,
      hooks_waiting: 1,
      channels_updated: 1,
    });
  });
});

describe("plannedCounts of entries no summary field names", () => {
  it("counts channel setups and waiting hooks, and a fan-out as nothing", () => {
    const plan = [
      entry("update_channel", "planned"),
      entry("update_channel", "planned"),
      entry("fan_out", "planned"),
      entry("fan_out", "planned"),
      entry("fan_out", "planned"),
    ];
    expect(plannedCounts(plan)).toMatchObject({ channels_updated: 2, hooks_waiting: 0, added: 0 });
  });
});

describe("membersChanged: distinct members written this run", () => {
  const write = (action: PlanEntry["action"], instance: string | undefined, extra: Partial<PlanEntry> = {}) =>
    entry(action, "done", { member_group_name: "web", instance_id: instance, ...extra });

  it("counts a member drained and deleted once, and each member of each group and channel", () => {
    const plan = [
      write("disable", "i-1"),
      write("delete", "i-1"),
      write("add", "i-2"),
      write("update", "i-3"),
      write("ramp", "i-4"),
      write("enable", "i-5"),
      write("add", "i-1", { member_group_name: "api" }),
      write("add", "i-1", { channel: "roma/inst/other" }),
      // Drained, its delete still to come.
      write("disable", "i-6"),
      entry("delete", "failed", { member_group_name: "web", instance_id: "i-6" }),
    ];
    expect(membersChanged(plan)).toBe(8);
  });

  it("knows a member without an instance by its member id", () => {
    const plan = [
      write("disable", undefined, { member_id: "m-1" }),
      write("delete", undefined, { member_id: "m-1" }),
      write("delete", undefined, { member_id: "m-2" }),
    ];
    expect(membersChanged(plan)).toBe(2);
  });

  it("counts only member writes that were done", () => {
    const plan = [
      entry("add", "failed", { instance_id: "i-1" }),
      entry("add", "planned", { instance_id: "i-2" }),
      entry("delete", "skipped", { instance_id: "i-3" }),
      entry("complete_hook", "done", { instance_id: "i-4" }),
      entry("quarantine", "done", { instance_id: "i-5" }),
      entry("update_channel", "done"),
      entry("wait_hook", "done", { instance_id: "i-6" }),
    ];
    expect(membersChanged(plan)).toBe(0);
  });
});
