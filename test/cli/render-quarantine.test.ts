import { describe, expect, it } from "vitest";
import { renderPlanTable, renderTotals } from "../../src/cli/plan-table";
import { BindingSchema } from "../../src/config/schema";
import { emptyCounts, type PlanEntry } from "../../src/plan/types";
import type { Summary } from "../../src/runtime/invoke";

const binding = BindingSchema().parse({
  scaling_group_id: "asg-1",
  gateway: "apig",
  instance_id: "apig-1",
  vpc_channel_id: "chan-a",
  member_group_name: "web",
  drain_seconds: 0,
  replace_unhealthy: {},
});
const CH = "apig/apig-1/chan-a";
const base = { channel: CH, member_group_name: "web", instance_id: "i-1", member_id: "m1" };
const plan: PlanEntry[] = [
  {
    ...base,
    action: "quarantine",
    scaling_group_id: "asg-1",
    reason: "unhealthy since 2026-11-22T00:50:00Z (600 s, after_seconds 300)",
    status: "planned",
  },
  { ...base, action: "disable", status: "planned" },
  { ...base, action: "delete", status: "planned" },
];
const summary = (over: Partial<Summary> = {}): Summary => ({
  ...emptyCounts(1),
  bindings_discovered: 0,
  skipped: 0,
  dead_lettered: 0,
  dry_run: true,
  plan,
  ...over,
});

describe("plan table: quarantine", () => {
  it("shows the quarantine with its reason, then the disable and delete of its member", () => {
    expect(renderPlanTable([binding], summary())).toBe(
      [
        "asg-1 → channel apig/apig-1/chan-a, member group web",
        "  ACTION      ECS INSTANCE  MEMBER  DETAIL",
        "  quarantine  i-1           m1      unhealthy since 2026-11-22T00:50:00Z (600 s, after_seconds 300)",
        "  disable     i-1           m1      then wait drain_seconds (0 s)",
        "  delete      i-1           m1      after the drain",
        "",
      ].join("\n"),
    );
    expect(renderTotals(summary())).toContain(
      "1 to disable, 1 to remove, 0 hooks to complete, 1 instance to quarantine;",
    );
    expect(renderTotals(summary({ dry_run: false, quarantined: 1, disabled: 1, removed: 1 }))).toContain(
      "; 1 instance quarantined",
    );
  });
});
