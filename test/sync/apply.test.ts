import { beforeEach, describe, expect, it } from "vitest";
import { desiredMembers } from "../../src/plan/desired";
import { planTarget } from "../../src/plan/plan-members";
import { MemberWriter } from "../../src/sync/apply";
import { RunLedger } from "../../src/sync/ledger";
import { listingOnDemand } from "../../src/sync/member-reads";
import { startTargetRun } from "../../src/sync/target-run";
import { emulatorForFile } from "../support/emulator-for-file";
import { baseState, instance, members, webBinding, writes } from "../support/harness";
import { type InProcess, inProcess, onlyTarget } from "./support";

/**
 * The member writes of one target (src/sync/apply.ts) in this process, through SyncDeps, against the
 * emulator: the plan comes from what the emulator holds, the writes land there.
 */
const emu = await emulatorForFile();
beforeEach(() => emu.control.reset());

async function planned(run: InProcess, options: Partial<InProcess["options"]> = {}) {
  const target = onlyTarget(run.bindings);
  const actual = await run.deps.gateway.listGroupMembers(target.channel, target.memberGroupName);
  const instances = await run.deps.autoscaling.listGroupInstances("asg-1");
  const desired = desiredMembers(target.bindings, new Map([["asg-1", instances]]));
  const plan = planTarget({ desired, actual, memberType: "ecs", ips: new Map(), now: Date.now() });
  const ledger = new RunLedger(run.bindings, run.deps.deadLetters);
  const targetRun = startTargetRun(target, plan, undefined, run.deps.logger, false);
  const writer = new MemberWriter(run.deps, { ...run.options, ...options }, ledger);
  // The group listed again after the drain, as the reconciler hands it over.
  const relist = listingOnDemand(run.deps.gateway, target.channel, [target]);
  return { target, plan, ledger, outcome: targetRun.outcome, targetRun, writer, relist };
}

const web = () =>
  members(emu)
    .filter((m) => m.member_group_name === "web")
    .map((m) => `${m.ecs_id}:${m.status}`)
    .sort();

describe("MemberWriter, in process", () => {
  it("upserts in chunks of addChunkSize; every member lands and every entry is done", async () => {
    emu.control.load(baseState({ instances: ["i-1", "i-2", "i-3", "i-4", "i-5"].map((id) => instance(id)) }));
    const run = inProcess(emu, [webBinding]);
    const { ledger, outcome, targetRun, writer } = await planned(run, { addChunkSize: 2 });
    await writer.applyUpserts(targetRun);
    expect(targetRun.deferred).toEqual([]);
    expect(web()).toEqual(["i-1:1", "i-2:1", "i-3:1", "i-4:1", "i-5:1"]);
    expect(writes(emu).map((c) => (c.body as { members: unknown[] }).members.length)).toEqual([2, 2, 1]);
    expect(ledger.result().counts).toMatchObject({ added: 5 });
    expect(ledger.plan.every((e) => e.status === "done")).toBe(true);
    expect([...outcome.present.keys()].sort()).toEqual(["i-1", "i-2", "i-3", "i-4", "i-5"]);
  });

  it("defers an add the member quota refuses while removals are to come, and lands it after the deletes", async () => {
    emu.control.setOptions({ memberQuota: 2 });
    emu.control.load(
      baseState({
        instances: [instance("i-1")],
        members: [
          { ecs_id: "i-8", ecs_name: "web-i-8", member_group_name: "web" },
          { ecs_id: "i-9", ecs_name: "web-i-9", member_group_name: "web" },
        ],
      }),
    );
    const run = inProcess(emu, [webBinding]);
    const { ledger, targetRun, writer, relist } = await planned(run);
    await writer.applyUpserts(targetRun);
    expect(targetRun.deferred.map((d) => [d.upsert.desired.ecs_id, d.entry.status])).toEqual([
      ["i-1", "planned"],
    ]);
    await writer.applyDisable(targetRun);
    await writer.applyDeletes(targetRun, true, relist);
    expect(web()).toEqual([]);
    await writer.retryDeferred(targetRun);
    expect(web()).toEqual(["i-1:1"]);
    expect(ledger.result().counts).toMatchObject({ added: 1, disabled: 2, removed: 2 });
    expect(run.deadLetters.records).toEqual([]);
  });

  it("at the member quota with nothing to remove, writes the chunk's updates alone and dead-letters only its adds", async () => {
    emu.control.setOptions({ memberQuota: 2 });
    emu.control.load(
      baseState({
        instances: [instance("i-1"), instance("i-2"), instance("i-3")],
        members: [
          { ecs_id: "i-1", ecs_name: "web-i-1", member_group_name: "web", weight: 5 },
          { ecs_id: "i-2", ecs_name: "web-i-2", member_group_name: "web", weight: 1 },
        ],
      }),
    );
    const run = inProcess(emu, [{ ...webBinding, weight: 5 }]);
    const { ledger, outcome, targetRun, writer } = await planned(run);
    expect(targetRun.plan.upserts.map((u) => [u.kind, u.desired.ecs_id])).toEqual([
      ["update", "i-2"],
      ["add", "i-3"],
    ]);
    await writer.applyUpserts(targetRun);
    expect(targetRun.deferred).toEqual([]);
    const web = members(emu).filter((m) => m.member_group_name === "web");
    expect(web.map((m) => `${m.ecs_id}:${m.weight}`).sort()).toEqual(["i-1:5", "i-2:5"]);
    expect(
      writes(emu).map((c) => [
        c.status,
        (c.body as { members: { ecs_id: string }[] }).members.map((m) => m.ecs_id),
      ]),
    ).toEqual([
      [403, ["i-2", "i-3"]],
      [201, ["i-2"]],
    ]);
    expect(ledger.plan.map((e) => [e.action, e.instance_id, e.status])).toEqual([
      ["update", "i-2", "done"],
      ["add", "i-3", "failed"],
    ]);
    expect(ledger.result().counts).toMatchObject({ added: 0, updated: 1 });
    expect([...outcome.present.keys()].sort()).toEqual(["i-1", "i-2"]);
    expect(run.deadLetters.records).toMatchObject([
      { action: "add_members", instance_ids: ["i-3"], error: { status: 403, code: "APIG.3110" } },
    ]);
  });

  it("a deferred chunk the quota still refuses after the deletes writes its updates alone", async () => {
    emu.control.setOptions({ memberQuota: 3 });
    emu.control.load(
      baseState({
        instances: [instance("i-1"), instance("i-2"), instance("i-3"), instance("i-4")],
        members: [
          { ecs_id: "i-1", ecs_name: "web-i-1", member_group_name: "web", weight: 5 },
          { ecs_id: "i-2", ecs_name: "web-i-2", member_group_name: "web", weight: 1 },
          { ecs_id: "i-8", ecs_name: "web-i-8", member_group_name: "web", weight: 5 },
        ],
      }),
    );
    const run = inProcess(emu, [{ ...webBinding, weight: 5 }]);
    const { ledger, targetRun, writer, relist } = await planned(run);
    await writer.applyUpserts(targetRun);
    expect(targetRun.deferred.map((d) => d.upsert.desired.ecs_id)).toEqual(["i-2", "i-3", "i-4"]);
    await writer.applyDisable(targetRun);
    await writer.applyDeletes(targetRun, true, relist);
    await writer.retryDeferred(targetRun);
    const web = members(emu).filter((m) => m.member_group_name === "web");
    expect(web.map((m) => `${m.ecs_id}:${m.weight}`).sort()).toEqual(["i-1:5", "i-2:5"]);
    expect(ledger.result().counts).toMatchObject({ added: 0, updated: 1, removed: 1 });
    expect(ledger.plan.filter((e) => e.action === "add").map((e) => e.status)).toEqual(["failed", "failed"]);
    expect(run.deadLetters.records).toMatchObject([
      { action: "add_members", instance_ids: ["i-3", "i-4"], error: { code: "APIG.3110" } },
    ]);
  });

  it("when a member to disable was deleted by someone else, disables the others and counts it removed", async () => {
    emu.control.load(
      baseState({
        instances: [],
        members: [
          { ecs_id: "i-8", ecs_name: "web-i-8", member_group_name: "web" },
          { ecs_id: "i-9", ecs_name: "web-i-9", member_group_name: "web" },
        ],
      }),
    );
    const run = inProcess(emu, [webBinding]);
    const { target, plan, ledger, targetRun, writer, relist } = await planned(run);
    // Someone else deletes i-9 between our listing and our batch-disable (the gateway answers APIG.3024).
    const i9 = plan.removals.find((r) => r.instanceId === "i-9")!.member;
    await run.deps.gateway.deleteMember(target.channel, i9.id);
    await writer.applyDisable(targetRun);
    expect(web()).toEqual(["i-8:2"]);
    expect(targetRun.toDelete.map((m) => m.ecs_id)).toEqual(["i-8"]);
    expect(ledger.plan.map((e) => [e.action, e.instance_id, e.status, e.already_done ?? false])).toEqual([
      ["disable", "i-8", "done", false],
      ["disable", "i-9", "done", true],
    ]);
    await writer.applyDeletes(targetRun, true, relist);
    expect(web()).toEqual([]);
    expect(ledger.result().counts).toMatchObject({ disabled: 1, removed: 2 });
    expect(run.deadLetters.records).toEqual([]);
  });

  it("takes a delete that finds the member already gone as done, and dead-letters one that fails", async () => {
    emu.control.load(
      baseState({
        instances: [],
        members: [
          { ecs_id: "i-8", ecs_name: "web-i-8", member_group_name: "web", status: 2 },
          { ecs_id: "i-9", ecs_name: "web-i-9", member_group_name: "web", status: 2 },
        ],
      }),
    );
    const run = inProcess(emu, [webBinding]);
    const { target, plan, ledger, outcome, targetRun, writer, relist } = await planned(run);
    const [i8, i9] = plan.removals.map((r) => r.member).sort((a, b) => (a.ecs_id! < b.ecs_id! ? -1 : 1));
    await run.deps.gateway.deleteMember(target.channel, i8!.id);
    emu.control.addFault({
      method: "DELETE",
      path: `/members/${i9!.id}$`,
      status: 400,
      body: { error_code: "APIG.2012", error_msg: "Invalid parameter value" },
    });
    targetRun.toDelete = [i8!, i9!];
    await writer.applyDeletes(targetRun, true, relist);
    expect(web()).toEqual(["i-9:2"]);
    expect(ledger.plan.map((e) => [e.instance_id, e.status, e.already_done ?? false])).toEqual([
      ["i-8", "done", true],
      ["i-9", "failed", false],
    ]);
    expect(outcome.lingering).toEqual(new Set(["i-9"]));
    expect(run.deadLetters.records).toMatchObject([
      { action: "delete_members", instance_ids: ["i-9"], error: { code: "APIG.2012" } },
    ]);
    expect(ledger.result().counts).toMatchObject({ removed: 1 });
  });

  it("after the drain, lists the group once more and deletes only members still disabled: one enabled again meanwhile stays", async () => {
    emu.control.load(
      baseState({
        instances: [],
        members: [
          { ecs_id: "i-8", ecs_name: "web-i-8", member_group_name: "web" },
          { ecs_id: "i-9", ecs_name: "web-i-9", member_group_name: "web" },
        ],
      }),
    );
    const run = inProcess(emu, [webBinding]);
    const { target, ledger, outcome, targetRun, writer, relist } = await planned(run);
    await writer.applyDisable(targetRun);
    expect(web()).toEqual(["i-8:2", "i-9:2"]);
    // Another invocation, whose newer AS read has i-9 serving again, enables it during our drain.
    const i9 = targetRun.toDelete.find((m) => m.ecs_id === "i-9")!;
    await run.deps.gateway.setMembersEnabled(target.channel, [i9.id], true);
    emu.control.clearCalls();
    await writer.applyDeletes(targetRun, true, relist);
    expect(web()).toEqual(["i-9:1"]);
    const calls = emu.control.calls().map((c) => `${c.method} ${c.path.split("/").pop()}`);
    expect(calls).toEqual(["GET members", `DELETE ${targetRun.toDelete[0]!.id}`]);
    expect(ledger.plan.filter((e) => e.action === "delete").map((e) => [e.instance_id, e.status])).toEqual([
      ["i-8", "done"],
      ["i-9", "skipped"],
    ]);
    expect(outcome.lingering).toEqual(new Set(["i-9"]));
    expect(ledger.result().counts).toMatchObject({ removed: 1 });
    expect(run.deadLetters.records).toEqual([]);
  });

  it("reads nothing when there is nothing to delete or the drain did not happen, and deletes nothing when the read fails", async () => {
    emu.control.load(
      baseState({
        instances: [],
        members: [{ ecs_id: "i-9", ecs_name: "web-i-9", member_group_name: "web", status: 2 }],
      }),
    );
    const run = inProcess(emu, [webBinding]);
    const nothing = await planned(run);
    emu.control.clearCalls();
    await nothing.writer.applyDeletes({ ...nothing.targetRun, toDelete: [] }, true, nothing.relist);
    const undrained = await planned(run);
    await undrained.writer.applyDisable(undrained.targetRun);
    emu.control.clearCalls();
    await undrained.writer.applyDeletes(undrained.targetRun, false, undrained.relist);
    expect(emu.control.calls()).toEqual([]);
    expect(undrained.outcome.lingering).toEqual(new Set(["i-9"]));

    const failing = await planned(run);
    await failing.writer.applyDisable(failing.targetRun);
    emu.control.addFault({ method: "GET", path: "/members$", status: 400, times: 0 });
    await failing.writer.applyDeletes(failing.targetRun, true, failing.relist);
    expect(web()).toEqual(["i-9:2"]);
    expect(writes(emu).filter((c) => c.method === "DELETE")).toEqual([]);
    expect(failing.ledger.plan.map((e) => [e.action, e.status])).toEqual([["delete", "failed"]]);
    expect(failing.outcome.lingering).toEqual(new Set(["i-9"]));
    expect(run.deadLetters.records).toMatchObject([{ action: "read_members", instance_ids: ["i-9"] }]);
  });
});
