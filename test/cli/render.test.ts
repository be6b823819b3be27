import { CommanderError } from "commander";
import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/cli/errors";
import { EXIT, exitCodeForError, exitCodeForRun } from "../../src/cli/exit-codes";
import { parseDeadLetters, replayGroups } from "../../src/cli/inputs";
import {
  formatTable,
  renderDeadLetters,
  renderPlanTable,
  renderTotals,
  renderTotalsLine,
} from "../../src/cli/plan-table";
import { ConfigError } from "../../src/config/errors";
import { BindingSchema } from "../../src/config/schema";
import { InputError } from "../../src/events/errors";
import type { PlanEntry } from "../../src/plan/types";
import type { DeadLetterRecord } from "../../src/reliability/dead-letter";
import type { Summary } from "../../src/runtime/invoke";

const web = BindingSchema().parse({
  scaling_group_id: "asg-1",
  instance_id: "roma-1",
  vpc_channel_id: "chan-1",
  member_group_name: "web",
  drain_seconds: 45,
});
const webZoneB = { ...web, scaling_group_id: "asg-1b" };
const api = BindingSchema().parse({
  scaling_group_id: "asg-2",
  instance_id: "roma-1",
  vpc_channel_id: "chan-2",
  member_group_name: "api",
});

const entry = (e: Omit<PlanEntry, "status"> & Partial<Pick<PlanEntry, "status">>): PlanEntry => ({
  status: "planned",
  ...e,
});
const CH1 = "roma/roma-1/chan-1";

function summary(plan: PlanEntry[], over: Partial<Summary> = {}): Summary {
  return {
    bindings: 2,
    added: 0,
    updated: 0,
    removed: 0,
    disabled: 0,
    unchanged: 3,
    hooks_completed: 0,
    ramping: 0,
    bindings_discovered: 0,
    skipped: 0,
    quarantined: 0,
    quarantine_guarded: 0,
    dead_lettered: 0,
    dry_run: true,
    plan,
    ...over,
  };
}

const plan: PlanEntry[] = [
  entry({ action: "update_channel", channel: CH1, reason: "create member group web" }),
  entry({
    action: "add",
    channel: CH1,
    member_group_name: "web",
    scaling_group_id: "asg-1",
    instance_id: "i-1",
  }),
  entry({
    action: "update",
    channel: CH1,
    member_group_name: "web",
    scaling_group_id: "asg-1",
    instance_id: "i-2",
    member_id: "m2",
    changes: ["weight", "is_backup"],
  }),
  entry({ action: "disable", channel: CH1, member_group_name: "web", instance_id: "i-9", member_id: "m9" }),
  entry({ action: "delete", channel: CH1, member_group_name: "web", instance_id: "i-9", member_id: "m9" }),
  entry({
    action: "complete_hook",
    channel: CH1,
    scaling_group_id: "asg-1",
    instance_id: "i-1",
    result: "CONTINUE",
    reason: "member registered",
  }),
  entry({
    action: "wait_hook",
    channel: CH1,
    scaling_group_id: "asg-1",
    instance_id: "i-7",
    reason: "member health is unknown",
    status: "skipped",
  }),
];

describe("plan table", () => {
  it("shows one section per binding with what to add, update, disable, delete and the hooks, in --json's words", () => {
    const text = renderPlanTable([web, api], summary(plan));
    expect(text.split("\n")).toEqual([
      "asg-1 → channel roma/roma-1/chan-1, member group web",
      "  ACTION          ECS INSTANCE  MEMBER  DETAIL",
      "  update_channel  -             -       create member group web",
      "  add             i-1           -       -",
      "  update          i-2           m2      change weight, is_backup",
      "  disable         i-9           m9      then wait drain_seconds (45 s)",
      "  delete          i-9           m9      after the drain",
      "  complete_hook   i-1           -       CONTINUE: member registered",
      "  wait_hook       i-7           -       member health is unknown",
      "",
      "asg-2 → channel roma/roma-1/chan-2, member group api",
      "  no changes",
      "",
    ]);
    // Each word is the action of the plan entry in --json.
    const actions = text.split("\n").flatMap((l) => /^ {2}([a-z_]+) {2,}/.exec(l)?.[1] ?? []);
    expect(actions).toEqual(summary(plan).plan.map((e) => e.action));
  });

  it("joins bindings that share a member group into one section, and adds a status column after a sync", () => {
    const done = plan.slice(1, 2).map((e) => ({ ...e, status: "done" as const }));
    const text = renderPlanTable([web, webZoneB], summary(done, { dry_run: false }));
    expect(text).toContain("asg-1 + asg-1b → channel roma/roma-1/chan-1, member group web");
    expect(text).toMatch(/ACTION\s+ECS INSTANCE\s+MEMBER\s+DETAIL\s+STATUS/);
    expect(text).toMatch(/add\s+i-1\s+-\s+-\s+done/);
  });

  it("sums a plan and a finished run in one line", () => {
    expect(renderTotals(summary(plan))).toBe(
      "Plan: 1 to add, 1 to update, 1 to disable, 1 to remove, 1 hook to complete, 1 hook still waiting, 1 channel to update; 3 unchanged (2 bindings, nothing written)",
    );
    const failed = [{ ...plan[1]!, status: "failed" as const }];
    expect(renderTotals(summary(failed, { dry_run: false, removed: 1, disabled: 1 }))).toBe(
      "Done: 0 added, 0 updated, 1 disabled, 1 removed, 0 hooks completed; 3 unchanged (2 bindings); 1 action failed",
    );
  });

  it("shows slow start: an add at the start weight and each ramp step with how far through the window it is", () => {
    const ramp = (instance: string, from: number, to: number, percent: number): PlanEntry =>
      entry({
        action: "ramp",
        channel: CH1,
        member_group_name: "web",
        instance_id: instance,
        member_id: `m-${instance}`,
        changes: ["weight"],
        from: { weight: from },
        to: { weight: to },
        reason: "slow_start",
        slow_start_percent: percent,
      });
    const slow: PlanEntry[] = [
      entry({
        action: "add",
        channel: CH1,
        member_group_name: "web",
        instance_id: "i-5",
        to: { weight: 1 },
        reason: "slow_start",
        slow_start_percent: 0,
      }),
      ramp("i-3", 1, 4, 40),
      ramp("i-4", 8, 10, 100),
    ];
    expect(renderPlanTable([web], summary(slow)).split("\n")).toEqual([
      "asg-1 → channel roma/roma-1/chan-1, member group web",
      "  ACTION  ECS INSTANCE  MEMBER  DETAIL",
      "  add     i-5           -       weight 1 (slow start, 0%)",
      "  ramp    i-3           m-i-3   weight 1 → 4 (slow start, 40%)",
      "  ramp    i-4           m-i-4   weight 8 → 10 (slow start, 100%)",
      "",
    ]);
    expect(renderTotals(summary(slow))).toBe(
      "Plan: 1 to add, 0 to update, 0 to disable, 0 to remove, 0 hooks to complete, 2 to ramp; 3 unchanged (2 bindings, nothing written)",
    );
    expect(renderTotals(summary(slow, { dry_run: false, added: 1, ramping: 2 }))).toBe(
      "Done: 1 added, 0 updated, 2 ramping, 0 disabled, 0 removed, 0 hooks completed; 3 unchanged (2 bindings)",
    );
  });

  it("shows calls per service, retries, throttles, members changed and time", () => {
    expect(
      renderTotalsLine({
        invocations: 2,
        calls: { roma: 5, as: 2 },
        writes: 3,
        retries: 1,
        throttles: 0,
        members_changed: 2,
        duration_ms: 1530,
      }),
    ).toBe("Calls: roma 5, as 2 (3 writes); retries 1, throttles 0; 2 members changed; 1.5 s over 2 runs");
  });

  it("pads every column but the last", () => {
    expect(
      formatTable([
        ["a", "bbb", "c"],
        ["dddd", "e", ""],
      ]),
    ).toBe("  a     bbb  c\n  dddd  e");
  });
});

const record: DeadLetterRecord = {
  dead_letter: true,
  version: 1,
  time: "2026-11-22T01:00:00.000Z",
  request_id: "req-1",
  function: "channel-autoscaler-scaling-events",
  action: "add_members",
  binding: {
    scaling_group_id: "asg-1",
    instance_id: "roma-1",
    vpc_channel_id: "chan-1",
    member_group_name: "web",
  },
  instance_ids: ["i-1", "i-2"],
  error: { status: 403, code: "APIG.3110", message: "addMembers: quota" },
  attempts: 1,
  replay: { scaling_group_ids: ["asg-1"] },
};

describe("dead letters", () => {
  it("are shown with the error, what to do about it, and their replay payload", () => {
    const text = renderDeadLetters([record]);
    expect(text).toContain("add_members  asg-1 → gateway instance roma-1, channel chan-1, member group web");
    expect(text).toContain("    ECS instances: i-1, i-2");
    expect(text).toContain("error: APIG.3110 HTTP 403: addMembers: quota");
    expect(text).toMatch(/fix: .*default 10 members per VPC channel/);
    expect(text).toContain('replay: {"scaling_group_ids":["asg-1"]}');
    expect(renderDeadLetters([])).toBe("");
  });

  it("are read from one record, an array, log lines with a prefix, or SMN notifications", () => {
    const other = { ...record, replay: { scaling_group_ids: ["asg-2"] } };
    expect(parseDeadLetters(JSON.stringify(record), "f")).toHaveLength(1);
    expect(parseDeadLetters(JSON.stringify([record, other]), "f")).toHaveLength(2);
    const log = [
      '{"level":"info","msg":"run started","action":"start"}',
      `2026-11-22T01:00:00Z stdout ${JSON.stringify(record)}`,
      "not json at all",
      JSON.stringify(other),
    ].join("\n");
    expect(replayGroups(parseDeadLetters(log, "f"))).toEqual(["asg-1", "asg-2"]);
    const smn = {
      type: "Notification",
      subject: "channel-autoscaler dead letter",
      message: JSON.stringify(record),
    };
    expect(parseDeadLetters(JSON.stringify(smn), "f")[0]?.action).toBe("add_members");
  });

  it("a record without a binding replays every binding", () => {
    expect(replayGroups([record, { ...record, binding: null, replay: {} }])).toBe("all");
  });

  it("a file without records, or with broken ones, is a usage error that says so", () => {
    expect(() => parseDeadLetters('{"level":"info"}', "x.json")).toThrow(
      /x.json holds no dead-letter record/,
    );
    expect(() => parseDeadLetters(JSON.stringify({ ...record, replay: "again" }), "x.json")).toThrow(
      /x.json holds unreadable dead letters:\n {2}record 1: replay/,
    );
  });
});

describe("exit codes", () => {
  it("0 when everything was done, 1 on failed actions or dead letters", () => {
    expect(exitCodeForRun(summary([]), [])).toBe(EXIT.ok);
    expect(exitCodeForRun(summary([{ ...plan[1]!, status: "failed" }]), [])).toBe(EXIT.failed);
    expect(exitCodeForRun(summary([], { dead_lettered: 1 }), [])).toBe(EXIT.failed);
    expect(exitCodeForRun(summary([]), [record])).toBe(EXIT.failed);
  });

  it("2 for usage, input and configuration errors; 0 for help; 1 for anything else", () => {
    expect(exitCodeForError(new UsageError("x"))).toBe(2);
    expect(exitCodeForError(new ConfigError([{ path: "BINDINGS", message: "x" }]))).toBe(2);
    expect(exitCodeForError(new InputError("x"))).toBe(2);
    expect(exitCodeForError(new CommanderError(1, "commander.unknownOption", "x"))).toBe(2);
    expect(exitCodeForError(new CommanderError(0, "commander.helpDisplayed", "x"))).toBe(0);
    expect(exitCodeForError(new Error("boom"))).toBe(1);
  });
});
