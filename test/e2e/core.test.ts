import { beforeEach, describe, expect, it } from "vitest";
import { emulatorForFile } from "../support/emulator-for-file";
import {
  baseState,
  envFor,
  instance,
  invoke,
  members,
  smnEvent,
  startEmulator,
  timerEvent,
  webBinding,
  writes,
} from "../support/harness";

const emu = await emulatorForFile();
beforeEach(() => {
  emu.control.reset();
});

const batchBinding = { ...webBinding, scaling_group_id: "asg-2", member_group_name: "batch" };

function load() {
  emu.control.load(
    baseState({
      instances: [
        instance("i-1"),
        instance("i-2"),
        instance("i-3", "INSERVICE", "ERROR"),
        instance("i-4", "PENDING"),
        instance("i-5", "REMOVING_WAIT"),
      ],
      instances2: [instance("b-1"), instance("b-2")],
    }),
  );
}

describe("scaling-events bundle, end to end", () => {
  it("registers exactly the healthy instances of the group the SMN event names, then writes nothing", async () => {
    load();
    const env = envFor(emu, [webBinding, { ...batchBinding, member_group_name: "other" }]);
    const event = smnEvent(
      JSON.stringify({ scaling_group_id: "asg-1", instance_id: "i-2", activity: "SCALING_UP" }),
    );

    const first = await invoke("scaling-events", event, { env });
    expect(first.error).toBeUndefined();
    expect(first.summary).toMatchObject({
      bindings: 1,
      added: 2,
      removed: 0,
      dead_lettered: 0,
      dry_run: false,
    });

    const chan = members(emu);
    expect(
      chan
        .filter((m) => m.member_group_name === "web")
        .map((m) => [m.ecs_id, m.ecs_name, m.weight, m.is_backup, m.status])
        .sort(),
    ).toEqual([
      ["i-1", "web-i-1", 1, false, 1],
      ["i-2", "web-i-2", 1, false, 1],
    ]);
    // The other group's member is untouched, and asg-2 was not even looked at.
    expect(chan.filter((m) => m.member_group_name === "other").map((m) => [m.ecs_id, m.weight])).toEqual([
      ["foreign-1", 3],
    ]);
    expect(emu.control.calls().some((c) => c.path.includes("asg-2"))).toBe(false);
    // Every call was signed and carried the project id (the emulator rejects anything else).
    expect(
      emu.control.calls().every((c) => c.status < 400 && c.headers["x-project-id"] === emu.projectId),
    ).toBe(true);

    emu.control.clearCalls();
    const second = await invoke("scaling-events", event, { env });
    expect(second.summary).toMatchObject({ added: 0, updated: 0, removed: 0, unchanged: 2 });
    expect(writes(emu)).toEqual([]);
  });

  it("adds a scale-out of k instances in one POST", async () => {
    emu.control.setOptions({ memberQuota: 100 });
    emu.control.load(baseState({ instances: Array.from({ length: 30 }, (_, i) => instance(`i-${i}`)) }));
    const res = await invoke("scaling-events", smnEvent('{"scaling_group_id":"asg-1"}'), {
      env: envFor(emu, [webBinding]),
    });
    expect(res.summary?.added).toBe(30);
    expect(writes(emu).map((c) => `${c.method} ${c.path.split("/").pop()}`)).toEqual(["POST members"]);
  });

  it("sends is_backup for standby bindings, and the binding's weight and port", async () => {
    load();
    await invoke("scaling-events", smnEvent('{"scaling_group_id":"asg-1"}'), {
      env: envFor(emu, [{ ...webBinding, standby: true, weight: 5, port: 9090 }]),
    });
    const web = members(emu).filter((m) => m.member_group_name === "web");
    expect(web.map((m) => [m.is_backup, m.weight, m.port])).toEqual([
      [true, 5, 9090],
      [true, 5, 9090],
    ]);
  });

  it("removes members of instances that left the group, and never touches other groups", async () => {
    emu.control.load(
      baseState({
        instances: [instance("i-1")],
        members: [
          { ecs_id: "i-1", ecs_name: "web-i-1", member_group_name: "web" },
          { ecs_id: "gone", ecs_name: "web-gone", member_group_name: "web" },
          { ecs_id: "gone", ecs_name: "foreign", member_group_name: "other" },
        ],
      }),
    );
    const res = await invoke("scaling-events", smnEvent("scale in finished"), {
      env: envFor(emu, [webBinding]),
    });
    expect(res.summary).toMatchObject({ removed: 1, disabled: 1, unchanged: 1 });
    expect(
      members(emu)
        .map((m) => `${m.member_group_name}/${m.ecs_id}`)
        .sort(),
    ).toEqual(["other/gone", "web/i-1"]);
    const order = writes(emu).map((c) => c.path.split("/").slice(-1)[0]);
    expect(order).toEqual(["batch-disable", expect.stringMatching(/^[0-9a-f]+$/)]);
  });

  it("reconciles bindings that share a member group as one: the union of their groups", async () => {
    load();
    const env = envFor(emu, [webBinding, { ...webBinding, scaling_group_id: "asg-2" }]);
    await invoke("reconcile", timerEvent(), { env });
    expect(
      members(emu)
        .filter((m) => m.member_group_name === "web")
        .map((m) => m.ecs_id)
        .sort(),
    ).toEqual(["b-1", "b-2", "i-1", "i-2"]);
    // An event for one of the groups must not remove the other group's members.
    emu.control.clearCalls();
    const res = await invoke("scaling-events", smnEvent('{"scaling_group_id":"asg-1"}'), { env });
    expect(res.summary).toMatchObject({ removed: 0, unchanged: 4 });
    expect(writes(emu)).toEqual([]);
  });
});

describe("reconcile and backfill bundles", () => {
  it("reconcile fixes drift in every binding", async () => {
    load();
    emu.control.load({
      ...baseState({ instances: [instance("i-1")], instances2: [instance("b-1")] }),
    });
    const env = envFor(emu, [webBinding, { ...batchBinding, member_group_name: "other" }]);
    const res = await invoke("reconcile", timerEvent(), { env });
    expect(res.summary).toMatchObject({ bindings: 2, added: 2, removed: 1 });
    expect(
      members(emu)
        .map((m) => `${m.member_group_name}/${m.ecs_id}`)
        .sort(),
    ).toEqual(["other/b-1", "web/i-1"]);
  });

  it("backfill dry_run returns the plan and writes nothing", async () => {
    load();
    const res = await invoke(
      "backfill",
      { scaling_group_ids: ["asg-1"], dry_run: true },
      { env: envFor(emu, [webBinding]) },
    );
    expect(res.summary?.dry_run).toBe(true);
    expect(res.summary?.plan.filter((p) => p.action === "add").map((p) => p.instance_id)).toEqual([
      "i-1",
      "i-2",
    ]);
    expect(res.summary?.plan.every((p) => p.status === "planned")).toBe(true);
    expect(writes(emu)).toEqual([]);
  });

  it("backfill rejects unknown group ids by name before any call", async () => {
    load();
    const res = await invoke(
      "backfill",
      { scaling_group_ids: ["asg-1", "nope", "zzz"] },
      { env: envFor(emu, [webBinding]) },
    );
    expect(res.error?.message).toMatch(/unknown scaling_group_ids: "nope", "zzz"/);
    expect(emu.control.calls()).toEqual([]);
  });

  it("a region the SMN and FunctionGraph tables lack costs a run that never calls them nothing: no failure, no warning", async () => {
    load();
    const {
      SMN_ENDPOINT: _s,
      FUNCTIONGRAPH_ENDPOINT: _f,
      APIG_ENDPOINT: _a,
      ...env
    } = envFor(emu, [webBinding]);
    const inv = await invoke("reconcile", timerEvent(), {
      env: { ...env, HUAWEICLOUD_SDK_REGION: "xx-new-1" },
    });
    expect(inv.error).toBeUndefined();
    expect(inv.summary).toMatchObject({ bindings: 1, added: 2, dead_lettered: 0 });
    expect(inv.logs.filter((l) => l.level === "warn" || l.level === "error")).toEqual([]);
  });

  it("a bad configuration fails at once, lists every problem and makes no call", async () => {
    load();
    const env = envFor(emu, [{ ...webBinding, weight: -1, drain_seconds: 99999 }], { LOG_LEVEL: "chatty" });
    const res = await invoke("reconcile", timerEvent(), { env });
    expect(res.error?.message).toMatch(/BINDINGS\[0\]\.weight/);
    expect(res.error?.message).toMatch(/BINDINGS\[0\]\.drain_seconds/);
    expect(res.error?.message).toMatch(/LOG_LEVEL/);
    expect(res.error?.stack).not.toMatch(/\n\s+at /);
    expect(emu.control.calls()).toEqual([]);
  });

  it("lists missing credentials together with the configuration's other problems", async () => {
    const {
      HUAWEICLOUD_SDK_AK: _a,
      HUAWEICLOUD_SDK_SK: _s,
      ...env
    } = envFor(emu, [{ ...webBinding, weight: -1 }]);
    const res = await invoke("reconcile", timerEvent(), { env });
    expect(res.error?.message).toMatch(/Invalid configuration \(2 problems\)/);
    expect(res.error?.message).toMatch(/BINDINGS\[0\]\.weight/);
    expect(res.error?.message).toMatch(/no credentials/);
    expect(emu.control.calls()).toEqual([]);
  });

  it("uses the context's temporary credentials and sends X-Security-Token", async () => {
    const tokenEmu = await startEmulator({
      credentials: [{ ak: "TMPAK", sk: "TMPSK", securityToken: "TMPTOKEN" }],
    });
    try {
      tokenEmu.control.load(baseState({ instances: [instance("i-1")] }));
      const { HUAWEICLOUD_SDK_AK: _a, HUAWEICLOUD_SDK_SK: _s, ...env } = envFor(tokenEmu, [webBinding]);
      const res = await invoke("reconcile", timerEvent(), {
        env,
        credentials: { ak: "TMPAK", sk: "TMPSK", token: "TMPTOKEN" },
      });
      expect(res.summary?.added).toBe(1);
      expect(tokenEmu.control.calls().every((c) => c.headers["x-security-token"] === "<present>")).toBe(true);
      expect(res.lines.join("\n")).not.toMatch(/TMPSK|TMPTOKEN|TMPAK/);
    } finally {
      await tokenEmu.close();
    }
  });
});
