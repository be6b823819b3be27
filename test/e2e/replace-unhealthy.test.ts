/**
 * replace_unhealthy through the built bundles against the emulator. Time is injected through state, never
 * slept: the unhealthy-since tags and the instances' create_time are written into the past.
 */
import { beforeEach, describe, expect, it } from "vitest";
import type { StateInput } from "../emulator";
import { emulatorForFile } from "../support/emulator-for-file";
import {
  apigChannel,
  apigInstance,
  type Binding,
  envFor,
  instance,
  invoke,
  members,
  timerEvent,
  writes,
} from "../support/harness";
import { inProcess } from "../sync/support";

const emu = await emulatorForFile();
beforeEach(() => {
  emu.control.reset();
  emu.control.setOptions({ memberQuota: 10, latencyMs: 0, defaultMemberHealth: "healthy" });
});

const TAG = "channel-autoscaler-unhealthy-since";
const HOUR_AGO = new Date(Date.now() - 3_600_000).toISOString();
const nowSeconds = () => Math.floor(Date.now() / 1000);
const IDS = ["i-1", "i-2", "i-3"];

const binding: Binding = {
  scaling_group_id: "asg-1",
  gateway: "apig",
  instance_id: "apig-1",
  vpc_channel_id: "chan-a",
  member_group_name: "web",
  drain_seconds: 0,
  replace_unhealthy: { after_seconds: 300 },
};
const env = () => envFor(emu, [binding]);

/**
 * Three serving instances, an hour old, each a member of each of the member groups of chan-a (`web` by
 * default) with the given health, and the given server tags; `standby` adds instances of the group that
 * are members of nothing (an earlier quarantine), in the given life-cycle state, with their tags.
 */
function load(...args: Parameters<typeof stateFor>) {
  emu.control.load(stateFor(...args));
}

function stateFor(
  health: Record<string, string>,
  tags: Record<string, Record<string, string>> = {},
  standby: {
    id: string;
    state: "STANDBY" | "ENTERING_STANDBY" | "INSERVICE";
    tags: Record<string, string>;
  }[] = [],
  groups = ["web"],
): StateInput {
  return {
    gateways: apigInstance([
      apigChannel({
        groups,
        healthConfig: {
          protocol: "HTTP",
          path: "/healthz",
          http_code: "200",
          threshold_normal: 2,
          threshold_abnormal: 3,
          time_interval: 10,
          timeout: 5,
        },
        members: groups.flatMap((member_group_name) =>
          IDS.map((id) => ({
            ecs_id: id,
            ecs_name: `web-${id}`,
            member_group_name,
            create_time: HOUR_AGO,
            health_status: (health[id] ?? "healthy") as "healthy",
          })),
        ),
      }),
    ]),
    scaling_groups: [
      {
        scaling_group_id: "asg-1",
        scaling_group_name: "web",
        instances: [
          ...IDS.map((id) => ({ ...instance(id), create_time: HOUR_AGO })),
          ...standby.map((s) => ({ ...instance(s.id, s.state), create_time: HOUR_AGO })),
        ],
      },
    ],
    servers: [
      ...IDS.map((id) => ({ id, name: `web-${id}`, ...(tags[id] ? { tags: tags[id] } : {}) })),
      ...standby.map((s) => ({ id: s.id, name: `web-${s.id}`, tags: s.tags })),
    ],
  };
}

const standbyCalls = () => writes(emu).filter((c) => c.path.endsWith("/scaling_group_instance/asg-1/action"));
const tagCalls = () => writes(emu).filter((c) => c.path.includes("/tags/action"));
const tagsOf = (id: string) => emu.control.state().servers.find((s) => s.id === id)?.tags ?? {};
const groupInstances = () => emu.control.state().scaling_groups[0]!.instances;
const memberIds = () =>
  members(emu, "apig-1", "chan-a")
    .map((m) => m.ecs_id)
    .sort();
const run = () => invoke("reconcile", timerEvent(), { env: env() });

describe("replace_unhealthy through the bundles", () => {
  it("one member unhealthy longer than after_seconds: exactly one ENTER_STANDBY with a replacement, its member drained out", async () => {
    load({ "i-1": "unhealthy" }, { "i-1": { [TAG]: String(nowSeconds() - 600) } });
    const res = await run();

    expect(res.error).toBeUndefined();
    expect(res.summary).toMatchObject({ quarantined: 1, removed: 1, disabled: 1, dead_lettered: 0 });
    expect(standbyCalls().map((c) => c.body)).toEqual([
      { action: "ENTER_STANDBY", instance_append: "yes", instances_id: ["i-1"] },
    ]);
    expect(memberIds()).toEqual(["i-2", "i-3"]);
    const states = Object.fromEntries(groupInstances().map((i) => [i.instance_id, i.life_cycle_state]));
    expect(states).toMatchObject({ "i-1": "STANDBY", "i-2": "INSERVICE", "i-3": "INSERVICE" });
    const replacement = groupInstances().find((i) => !IDS.includes(i.instance_id));
    expect(replacement?.life_cycle_state).toBe("PENDING");
    // The server stays for inspection, its tag telling since when it was unhealthy.
    expect(tagsOf("i-1")[TAG]).toBeDefined();

    const entry = res.summary?.plan.find((p) => p.action === "quarantine");
    expect(entry).toMatchObject({
      instance_id: "i-1",
      status: "done",
      reason: expect.stringMatching(/^unhealthy since /),
    });
    const lines = res.logs.filter(
      (l) => l.action === "quarantine" && String(l.msg).startsWith("instance quarantined"),
    );
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      instance_id: "i-1",
      member_id: expect.any(String),
      unhealthy_since: expect.stringMatching(/Z$/),
      request: { action: "ENTER_STANDBY", instances_id: ["i-1"], instance_append: "yes" },
    });

    // Once AS has put the replacement in service, it becomes a member; nothing else is quarantined.
    emu.control.setScalingActivity("asg-1", false);
    const next = await run();
    expect(next.summary).toMatchObject({ added: 1, quarantined: 0 });
    expect(memberIds()).toContain(replacement!.instance_id);
    expect(standbyCalls()).toHaveLength(1);
  });

  it("a single unhealthy reading only tags; a member that recovers in time loses its tag and nothing is replaced", async () => {
    load({ "i-1": "unhealthy" });
    const first = await run();
    expect(first.summary).toMatchObject({ quarantined: 0 });
    const since = Number(tagsOf("i-1")[TAG]);
    expect(Math.abs(since - nowSeconds())).toBeLessThanOrEqual(5);

    emu.control.setMemberHealth({
      instance_id: "apig-1",
      vpc_channel_id: "chan-a",
      ecs_id: "i-1",
      health_status: "healthy",
    });
    const second = await run();
    expect(second.summary).toMatchObject({ quarantined: 0, removed: 0 });
    expect(tagsOf("i-1")[TAG]).toBeUndefined();
    expect(tagCalls().map((c) => (c.body as { action: string }).action)).toEqual(["create", "delete"]);
    expect(standbyCalls()).toEqual([]);
    expect(memberIds()).toEqual(IDS);

    // Converged: nothing unhealthy, nothing tagged, no write at all.
    emu.control.clearCalls();
    await run();
    expect(writes(emu)).toEqual([]);
  });

  it("more than max_unhealthy_fraction unhealthy: nothing replaced, a warning with the counts", async () => {
    const old = { [TAG]: String(nowSeconds() - 900) };
    load({ "i-1": "unhealthy", "i-2": "unhealthy" }, { "i-1": old, "i-2": old });
    const res = await run();
    expect(res.summary).toMatchObject({ quarantined: 0, quarantine_guarded: 1, dead_lettered: 0 });
    expect(standbyCalls()).toEqual([]);
    expect(memberIds()).toEqual(IDS);
    const warning = res.logs.find((l) => l.level === "warn" && l.action === "quarantine");
    expect(warning).toMatchObject({ unhealthy: 2, members: 3, max_unhealthy_fraction: 0.5 });
  });

  it("AS refuses during a scaling activity: logged, nothing dead-lettered, done by a later run", async () => {
    load({ "i-1": "unhealthy" }, { "i-1": { [TAG]: String(nowSeconds() - 600) } });
    emu.control.setScalingActivity("asg-1", true);
    const refused = await run();
    expect(refused.error).toBeUndefined();
    expect(refused.summary).toMatchObject({ quarantined: 0, dead_lettered: 0, removed: 0 });
    expect(refused.deadLetters).toEqual([]);
    expect(refused.summary?.plan.find((p) => p.action === "quarantine")?.status).toBe("skipped");
    expect(refused.logs.find((l) => l.level === "warn" && l.action === "quarantine")).toMatchObject({
      error: { code: "AS.2020" },
    });
    expect(memberIds()).toEqual(IDS);

    emu.control.setScalingActivity("asg-1", false);
    const later = await run();
    expect(later.summary).toMatchObject({ quarantined: 1, removed: 1, dead_lettered: 0 });
    expect(standbyCalls().map((c) => c.status)).toEqual([400, 204]);
    expect(memberIds()).toEqual(["i-2", "i-3"]);
  });

  it("one group bound to two member groups of a channel: AS is asked once for the instance, both drain it", async () => {
    // i-1 is unhealthy in both member groups of its scaling group.
    load({ "i-1": "unhealthy" }, { "i-1": { [TAG]: String(nowSeconds() - 600) } }, [], ["web", "api"]);
    const twoGroups = envFor(emu, [binding, { ...binding, member_group_name: "api" }]);
    const first = await invoke("reconcile", timerEvent(), { env: twoGroups });
    expect(first.error).toBeUndefined();
    expect(standbyCalls().map((c) => c.body)).toEqual([
      { action: "ENTER_STANDBY", instance_append: "yes", instances_id: ["i-1"] },
    ]);
    expect(first.logs.filter((l) => l.level === "warn" && l.action === "quarantine")).toEqual([]);
    expect(first.summary?.plan.filter((p) => p.action === "quarantine").map((p) => p.status)).toEqual([
      "done",
    ]);
    expect(groupInstances().filter((i) => !IDS.includes(i.instance_id))).toHaveLength(1);

    // In service no more, i-1 leaves both member groups; AS is not asked again.
    await invoke("reconcile", timerEvent(), { env: twoGroups });
    for (const group of ["web", "api"]) {
      expect(
        members(emu, "apig-1", "chan-a")
          .filter((m) => m.member_group_name === group)
          .map((m) => m.ecs_id)
          .sort(),
      ).toEqual(["i-2", "i-3"]);
    }
    expect(standbyCalls()).toHaveLength(1);
  });

  it("an instance quarantined for one member group leaves, in the same run, a group that finds it healthy or has no replace_unhealthy", async () => {
    const state = stateFor(
      { "i-1": "unhealthy" },
      { "i-1": { [TAG]: String(nowSeconds() - 600) } },
      [],
      ["web", "api", "batch"],
    );
    // The api and batch groups' members are healthy: only web's decision quarantines i-1.
    const channel = state.gateways![0]!.channels![0]!;
    channel.members = channel.members!.map((m) =>
      m.member_group_name === "web" ? m : { ...m, health_status: "healthy" as const },
    );
    emu.control.load(state);
    // batch comes first, so its own writes are over before web's quarantine; api judges after web (had
    // it judged first, its healthy reading would clear the unhealthy-since tag, shared by the server).
    const bindings = [
      { ...binding, member_group_name: "batch", replace_unhealthy: undefined },
      binding,
      { ...binding, member_group_name: "api" },
    ];
    const res = await invoke("reconcile", timerEvent(), { env: envFor(emu, bindings) });
    expect(res.summary).toMatchObject({ quarantined: 1, disabled: 3, removed: 3, dead_lettered: 0 });
    expect(standbyCalls()).toHaveLength(1);
    for (const group of ["web", "api", "batch"]) {
      expect(
        members(emu, "apig-1", "chan-a")
          .filter((m) => m.member_group_name === group)
          .map((m) => m.ecs_id)
          .sort(),
        group,
      ).toEqual(["i-2", "i-3"]);
    }
  });

  it("a dry run shows the quarantine and its drain with the reason, and writes nothing", async () => {
    load({ "i-1": "unhealthy" }, { "i-1": { [TAG]: String(nowSeconds() - 600) } });
    const res = await invoke("backfill", { dry_run: true }, { env: env() });
    expect(res.summary?.plan.map((p) => [p.action, p.instance_id])).toEqual([
      ["quarantine", "i-1"],
      ["disable", "i-1"],
      ["delete", "i-1"],
    ]);
    expect(res.summary?.plan[0]?.reason).toMatch(/^unhealthy since .* \(\d+ s, after_seconds 300\)$/);
    expect(writes(emu)).toEqual([]);
  });

  it("a roma binding with replace_unhealthy fails at once with a clear message, before any call", async () => {
    load({});
    const res = await invoke("reconcile", timerEvent(), {
      env: envFor(emu, [{ ...binding, gateway: "roma" }]),
    });
    expect(res.error?.message).toContain(
      'BINDINGS[0].replace_unhealthy: is only supported on "apig" bindings',
    );
    expect(emu.control.calls()).toEqual([]);
  });
});

const QUARANTINED = "channel-autoscaler-quarantined-at";
const dueSince = () => ({ "i-1": { [TAG]: String(nowSeconds() - 600) } });
const lifeCycleOf = (id: string) => groupInstances().find((i) => i.instance_id === id)?.life_cycle_state;
const heldReasons = (res: Awaited<ReturnType<typeof run>>) =>
  res.logs.filter((l) => l.msg === "unhealthy member not quarantined this run").map((l) => l.reason);
/** A signed ECS client of our own: what an operator (or another invocation) does through the API. */
const ecs = () => inProcess(emu, [binding]).deps.ecs;

describe("the replacement budget across invocations", () => {
  it("no ENTER_STANDBY while the group has max_in_standby quarantined instances in standby or entering it; removing the tag frees the budget", async () => {
    for (const state of ["STANDBY", "ENTERING_STANDBY"] as const) {
      emu.control.reset();
      load({ "i-1": "unhealthy" }, dueSince(), [
        { id: "i-9", state, tags: { [QUARANTINED]: String(nowSeconds() - 7200) } },
      ]);
      const held = await run();
      expect(held.summary).toMatchObject({ quarantined: 0, removed: 0, dead_lettered: 0 });
      expect(standbyCalls()).toEqual([]);
      expect(heldReasons(held)).toEqual(["max_in_standby (1) reached; in standby: i-9"]);
      expect(memberIds()).toEqual(IDS);
    }

    // The runbook's way to free budget: remove the tag (the instance stays in standby for inspection).
    await ecs().deleteServerTag("i-9", QUARANTINED);
    const freed = await run();
    expect(freed.summary).toMatchObject({ quarantined: 1, removed: 1 });
    expect(lifeCycleOf("i-1")).toBe("STANDBY");
    expect(lifeCycleOf("i-9")).toBe("ENTERING_STANDBY");
  });

  it("an instance in standby whose tags ECS's answer leaves out: the budget is not counted, nothing is moved", async () => {
    load({ "i-1": "unhealthy" }, dueSince(), [{ id: "i-9", state: "STANDBY", tags: {} }]);
    // Both lookups answer without i-9 (asked with the members, then alone).
    const others = IDS.map((id) => ({ id, tags: id === "i-1" ? [`${TAG}=${nowSeconds() - 600}`] : [] }));
    emu.control.addFault({
      method: "GET",
      path: "/cloudservers/detail$",
      status: 200,
      times: 2,
      body: { count: others.length, servers: others },
    });
    const res = await run();
    expect(res.summary).toMatchObject({ quarantined: 0, dead_lettered: 0 });
    expect(standbyCalls()).toEqual([]);
    expect(heldReasons(res)).toEqual(["the tags of i-9 could not be read"]);
  });

  it("an instance in standby without the tag (an operator's own) holds no budget", async () => {
    load({ "i-1": "unhealthy" }, dueSince(), [{ id: "i-9", state: "STANDBY", tags: {} }]);
    expect((await run()).summary).toMatchObject({ quarantined: 1 });
  });

  it("cooldown_seconds: nothing within it of the latest quarantine's tag, then one", async () => {
    const roomy: Binding = { ...binding, replace_unhealthy: { max_in_standby: 2, cooldown_seconds: 600 } };
    const runRoomy = () => invoke("reconcile", timerEvent(), { env: envFor(emu, [roomy]) });
    const at = nowSeconds() - 300;
    load({ "i-1": "unhealthy" }, dueSince(), [
      { id: "i-9", state: "STANDBY", tags: { [QUARANTINED]: String(at) } },
    ]);
    const cooling = await runRoomy();
    expect(cooling.summary).toMatchObject({ quarantined: 0 });
    expect(heldReasons(cooling)).toEqual([
      `cooldown_seconds (600): the latest quarantine in the group began ${new Date(at * 1000).toISOString().replace(/\.000Z$/, "Z")}`,
    ]);

    emu.control.reset();
    load({ "i-1": "unhealthy" }, dueSince(), [
      { id: "i-9", state: "STANDBY", tags: { [QUARANTINED]: String(nowSeconds() - 601) } },
    ]);
    expect((await runRoomy()).summary).toMatchObject({ quarantined: 1 });
    expect(lifeCycleOf("i-1")).toBe("STANDBY");
  });

  it("writes the tag before the ENTER_STANDBY and re-counts the group between them; a run with nothing to quarantine reads no more", async () => {
    load({ "i-1": "unhealthy" }, dueSince());
    const res = await run();
    expect(res.summary).toMatchObject({ quarantined: 1 });
    const calls = emu.control.calls();
    const at = (test: (c: (typeof calls)[number]) => boolean) => calls.findIndex(test);
    const tagWrite = at(
      (c) =>
        c.path.endsWith("/cloudservers/i-1/tags/action") &&
        JSON.stringify(c.body).includes(QUARANTINED) &&
        (c.body as { action: string }).action === "create",
    );
    const instanceReads = calls
      .map((c, i) => (c.method === "GET" && c.path.includes("/scaling_group_instance/") ? i : -1))
      .filter((i) => i >= 0);
    const tagReads = calls
      .map((c, i) => (c.method === "GET" && c.path.endsWith("/cloudservers/detail") ? i : -1))
      .filter((i) => i >= 0);
    const enter = at((c) => c.path.endsWith("/scaling_group_instance/asg-1/action"));
    const quarantinedAtWrites = calls
      .map((c, i) => (c.path.endsWith("/cloudservers/i-1/tags/action") ? i : -1))
      .filter((i) => i >= 0);
    expect(instanceReads).toHaveLength(2);
    expect(tagReads).toHaveLength(2);
    expect(instanceReads[0]!).toBeLessThan(tagWrite);
    expect(tagWrite).toBeLessThan(instanceReads[1]!);
    expect(instanceReads[1]!).toBeLessThan(tagReads[1]!);
    expect(tagReads[1]!).toBeLessThan(enter);
    // The same tag once more after the standby, and nothing else on that server.
    expect(quarantinedAtWrites).toEqual([tagWrite, expect.any(Number)]);
    expect(quarantinedAtWrites[1]!).toBeGreaterThan(enter);
    expect(calls[quarantinedAtWrites[1]!]!.body).toEqual(calls[tagWrite]!.body);
    expect(Number(tagsOf("i-1")[QUARANTINED])).toBeGreaterThanOrEqual(nowSeconds() - 5);
    expect(lifeCycleOf("i-1")).toBe("STANDBY");

    // Budget used up: the next run judges and holds, with one instance listing and one tag read.
    emu.control.setScalingActivity("asg-1", false);
    emu.control.clearCalls();
    await run();
    const reads = emu.control.calls().filter((c) => c.method === "GET");
    expect(reads.filter((c) => c.path.includes("/scaling_group_instance/"))).toHaveLength(1);
    expect(reads.filter((c) => c.path.endsWith("/cloudservers/detail"))).toHaveLength(1);
    expect(standbyCalls()).toEqual([]);
  });

  it("sees in the re-count a quarantine another invocation made after this run's first read, and holds back", async () => {
    load({ "i-1": "unhealthy" }, dueSince());
    // Right after this run tags i-1, another invocation tags i-2 and moves it to standby.
    emu.control.afterNextCall({ method: "POST", path: "/cloudservers/i-1/tags/action$" }, async () => {
      await ecs().setServerTag("i-2", QUARANTINED, String(nowSeconds()));
      emu.control.setInstance({ scaling_group_id: "asg-1", instance_id: "i-2", life_cycle_state: "STANDBY" });
    });
    const res = await run();
    expect(res.summary).toMatchObject({ quarantined: 0, dead_lettered: 0 });
    expect(standbyCalls()).toEqual([]);
    expect(lifeCycleOf("i-1")).toBe("INSERVICE");
    expect(res.summary?.plan.find((p) => p.action === "quarantine")).toMatchObject({
      instance_id: "i-1",
      status: "skipped",
    });
    expect(
      res.logs.find((l) => l.msg === "the group's replacement budget is taken: quarantining none this run"),
    ).toMatchObject({
      instance_ids: ["i-1"],
      reason: expect.stringMatching(/^max_in_standby \(1\) reached; in standby: i-2/),
    });
    // Its own tag stays (another invocation may have chosen i-1 too); the next run removes it.
    expect(tagsOf("i-1")[QUARANTINED]).toBeDefined();
    const next = await run();
    expect(next.summary).toMatchObject({ quarantined: 0 });
    expect(tagsOf("i-1")[QUARANTINED]).toBeUndefined();
    expect(tagsOf("i-2")[QUARANTINED]).toBeDefined();
  });

  it("counts in the re-count a tag another invocation wrote on an instance in service after this run's first read, and holds back", async () => {
    load({ "i-1": "unhealthy" }, dueSince());
    // Right after this run tags i-1, another invocation tags i-2; its ENTER_STANDBY has not landed.
    emu.control.afterNextCall({ method: "POST", path: "/cloudservers/i-1/tags/action$" }, () =>
      ecs().setServerTag("i-2", QUARANTINED, String(nowSeconds())),
    );
    const res = await run();
    expect(res.summary).toMatchObject({ quarantined: 0, dead_lettered: 0 });
    expect(standbyCalls()).toEqual([]);
    expect(lifeCycleOf("i-1")).toBe("INSERVICE");
    expect(
      res.logs.find((l) => l.msg === "the group's replacement budget is taken: quarantining none this run"),
    ).toMatchObject({
      instance_ids: ["i-1"],
      reason: "max_in_standby (1) reached; in standby: none; being quarantined: i-2",
    });
    // Written after this run's first read: not a leftover to this run, which leaves it.
    expect(tagsOf("i-2")[QUARANTINED]).toBeDefined();
  });

  it("a tag left on an instance in service by a crash between tag and standby, however fresh, holds no budget: another instance is quarantined in the same run, and the tag is removed", async () => {
    load({ "i-1": "unhealthy" }, { ...dueSince(), "i-2": { [QUARANTINED]: String(nowSeconds()) } });
    const res = await run();
    expect(res.summary).toMatchObject({ quarantined: 1, dead_lettered: 0 });
    expect(heldReasons(res)).toEqual([]);
    expect(lifeCycleOf("i-1")).toBe("STANDBY");
    expect(tagsOf("i-1")[QUARANTINED]).toBeDefined();
    expect(lifeCycleOf("i-2")).toBe("INSERVICE");
    expect(tagsOf("i-2")[QUARANTINED]).toBeUndefined();
  });

  it("the same on an instance of the group that is no member of the channel: its tag is read with the others, and removed", async () => {
    load({ "i-1": "unhealthy" }, dueSince(), [
      { id: "i-8", state: "INSERVICE", tags: { [QUARANTINED]: String(nowSeconds()) } },
    ]);
    const res = await run();
    expect(res.summary).toMatchObject({ quarantined: 1 });
    expect(lifeCycleOf("i-1")).toBe("STANDBY");
    expect(tagsOf("i-8")[QUARANTINED]).toBeUndefined();
  });

  it("writes the tag again after the standby: another invocation that took it for a leftover and removed it after this run's re-count does not leave the instance uncounted", async () => {
    load({ "i-1": "unhealthy" }, dueSince());
    let written: string | undefined;
    // Between this run's re-count and its ENTER_STANDBY, another invocation's first read removes the tag.
    emu.control.afterNextCall({ method: "POST", path: "/cloudservers/i-1/tags/action$" }, () => {
      written = tagsOf("i-1")[QUARANTINED];
      emu.control.afterNextCall({ method: "GET", path: "/cloudservers/detail$" }, () =>
        ecs().deleteServerTag("i-1", QUARANTINED),
      );
    });
    const res = await run();
    expect(res.summary).toMatchObject({ quarantined: 1 });
    expect(lifeCycleOf("i-1")).toBe("STANDBY");
    expect(written).toBeDefined();
    expect(tagsOf("i-1")[QUARANTINED]).toBe(written);
    // So the next run counts it, and holds the next candidate back.
    emu.control.setScalingActivity("asg-1", false);
    emu.control.setMemberHealth({
      instance_id: "apig-1",
      vpc_channel_id: "chan-a",
      ecs_id: "i-2",
      health_status: "unhealthy",
    });
    await ecs().setServerTag("i-2", TAG, String(nowSeconds() - 600));
    const next = await run();
    expect(heldReasons(next)).toEqual(["max_in_standby (1) reached; in standby: i-1"]);
  });

  it("puts back a tag it removed as a leftover when the instance has entered standby since (another invocation's quarantine landed), and counts it", async () => {
    load({ "i-1": "unhealthy" }, { ...dueSince(), "i-2": { [QUARANTINED]: String(nowSeconds()) } });
    // This run's first read shows i-2 in service, tagged; the other invocation's ENTER_STANDBY lands
    // right after it, before this run removes the tag.
    emu.control.afterNextCall({ method: "GET", path: "/cloudservers/detail$" }, () =>
      emu.control.setInstance({ scaling_group_id: "asg-1", instance_id: "i-2", life_cycle_state: "STANDBY" }),
    );
    const res = await run();
    expect(res.summary).toMatchObject({ quarantined: 0, dead_lettered: 0 });
    expect(lifeCycleOf("i-1")).toBe("INSERVICE");
    expect(
      res.logs.find((l) => l.msg === "the group's replacement budget is taken: quarantining none this run"),
    ).toMatchObject({ reason: "max_in_standby (1) reached; in standby: i-2" });
    expect(Number(tagsOf("i-2")[QUARANTINED])).toBeGreaterThanOrEqual(nowSeconds() - 5);
  });

  it("counts such an instance even when the tag cannot be put back", async () => {
    load({ "i-1": "unhealthy" }, { ...dueSince(), "i-2": { [QUARANTINED]: String(nowSeconds()) } });
    emu.control.afterNextCall({ method: "GET", path: "/cloudservers/detail$" }, () => {
      emu.control.setInstance({ scaling_group_id: "asg-1", instance_id: "i-2", life_cycle_state: "STANDBY" });
      // The removal goes through; the write putting the tag back is refused.
      emu.control.afterNextCall({ method: "POST", path: "/cloudservers/i-2/tags/action$" }, () =>
        emu.control.addFault({
          method: "POST",
          path: "/cloudservers/i-2/tags/action$",
          status: 403,
          times: 0,
        }),
      );
    });
    const res = await run();
    expect(res.summary).toMatchObject({ quarantined: 0 });
    expect(lifeCycleOf("i-1")).toBe("INSERVICE");
    expect(tagsOf("i-2")[QUARANTINED]).toBeUndefined();
    expect(res.logs.map((l) => l.msg)).toContain(
      "could not put back the quarantined-at tag of an instance that entered standby; it holds no budget until tagged (runbook)",
    );
  });

  it("a run with nothing to quarantine that removed a leftover lists the group once more, and puts back the tag of an instance in standby by then", async () => {
    load({}, { "i-2": { [QUARANTINED]: String(nowSeconds()) } });
    emu.control.afterNextCall({ method: "GET", path: "/cloudservers/detail$" }, () =>
      emu.control.setInstance({ scaling_group_id: "asg-1", instance_id: "i-2", life_cycle_state: "STANDBY" }),
    );
    await run();
    expect(tagsOf("i-2")[QUARANTINED]).toBeDefined();
    const listings = emu.control
      .calls()
      .filter((c) => c.method === "GET" && c.path.includes("/scaling_group_instance/"));
    expect(listings).toHaveLength(2);

    // A leftover on an instance still in service: removed, and it stays removed.
    emu.control.reset();
    load({}, { "i-2": { [QUARANTINED]: String(nowSeconds()) } });
    await run();
    expect(tagsOf("i-2")[QUARANTINED]).toBeUndefined();
  });

  it("a group named by two bindings: what the first moved holds budget for the second, whose listing still shows it in service, and keeps its tag", async () => {
    const state = stateFor({ "i-1": "unhealthy" }, dueSince());
    const chanA = state.gateways![0]!.channels![0]!;
    // A second channel of the group, whose own health check finds i-1 healthy.
    const chanB = {
      ...chanA,
      id: "chan-b",
      name: "api_channel_b",
      members: chanA.members!.map((m) => ({ ...m, health_status: "healthy" as const })),
    };
    state.gateways![0]!.channels!.push(chanB);
    emu.control.load(state);
    const both = [binding, { ...binding, vpc_channel_id: "chan-b" }];
    const res = await invoke("reconcile", timerEvent(), { env: envFor(emu, both) });
    expect(res.summary).toMatchObject({ quarantined: 1, dead_lettered: 0 });
    expect(lifeCycleOf("i-1")).toBe("STANDBY");
    // Tagged, then tagged again after the standby; never taken for a leftover.
    const i1Writes = tagCalls()
      .filter(
        (c) =>
          c.path.endsWith("/cloudservers/i-1/tags/action") && JSON.stringify(c.body).includes(QUARANTINED),
      )
      .map((c) => (c.body as { action: string }).action);
    expect(i1Writes).toEqual(["create", "create"]);
    expect(tagsOf("i-1")[QUARANTINED]).toBeDefined();
  });

  it("a broken check during a scale-out: unknown members never count as healthy, the guard trips", async () => {
    load({ "i-1": "unhealthy", "i-2": "unknown", "i-3": "unknown" }, dueSince());
    const res = await run();
    expect(res.summary).toMatchObject({ quarantined: 0, quarantine_guarded: 1 });
    expect(standbyCalls()).toEqual([]);
    expect(res.logs.find((l) => l.level === "warn" && l.action === "quarantine")).toMatchObject({
      unhealthy: 1,
      members: 1,
      unknown: 2,
    });
  });
});
