import { beforeEach, describe, expect, it } from "vitest";
import type { StateInput } from "../emulator";
import { emulatorForFile } from "../support/emulator-for-file";
import {
  type Binding,
  baseState,
  envFor,
  instance,
  invoke,
  MANAGED_REMARK,
  members,
  romaChannel,
  romaInstance,
  smnEvent,
  timerEvent,
  webBinding,
  writes,
} from "../support/harness";

const emu = await emulatorForFile();
beforeEach(() => {
  emu.control.reset();
  emu.control.setOptions({ memberQuota: 10, latencyMs: 0, defaultMemberHealth: "healthy" });
});

const HOOKS = [
  { lifecycle_hook_name: "launch", lifecycle_hook_type: "INSTANCE_LAUNCHING" as const },
  { lifecycle_hook_name: "terminate", lifecycle_hook_type: "INSTANCE_TERMINATING" as const },
];

function withHooks(state: StateInput): StateInput {
  return {
    ...state,
    scaling_groups: (state.scaling_groups ?? []).map((g) => ({ ...g, lifecycle_hooks: HOOKS })),
  };
}

/** i-1 serving, i-9 held by the terminate hook; both still members of `web`. */
function loadTerminating() {
  emu.control.load(
    withHooks(
      baseState({
        instances: [instance("i-1"), instance("i-9", "REMOVING_WAIT")],
        members: [
          { ecs_id: "i-1", ecs_name: "web-i-1", member_group_name: "web" },
          { ecs_id: "i-9", ecs_name: "web-i-9", member_group_name: "web" },
        ],
      }),
    ),
  );
  emu.control.addHangingHook({
    scaling_group_id: "asg-1",
    instance_id: "i-9",
    lifecycle_hook_name: "terminate",
  });
}

const group = (id = "asg-1") => emu.control.state().scaling_groups.find((g) => g.scaling_group_id === id)!;
const lastSegment = (path: string) => path.split("/").pop()!;
/** The write calls, named the way a person reads them. */
const writeNames = () =>
  writes(emu).map((c) => {
    const last = lastSegment(c.path);
    if (c.method === "DELETE") return "DELETE member";
    if (last === "callback")
      return `callback ${(c.body as { lifecycle_action_result: string }).lifecycle_action_result}`;
    if (last === "members") return "POST members";
    if (last.startsWith("batch-")) return last;
    return `${c.method} ${last}`;
  });

function apigState(
  over: { health_check?: boolean; instances?: unknown[]; members?: unknown[] } = {},
): StateInput {
  return withHooks({
    gateways: [
      {
        instance_id: "apig-1",
        kind: "apig",
        channels: [
          {
            id: "chan-a",
            name: "api_channel",
            port: 443,
            balance_strategy: 1,
            member_type: "ecs",
            member_groups: [{ member_group_name: "web" }],
            ...(over.health_check === false
              ? {}
              : {
                  vpc_health_config: {
                    protocol: "HTTP",
                    path: "/healthz",
                    http_code: "200",
                    threshold_normal: 2,
                    threshold_abnormal: 3,
                    time_interval: 10,
                    timeout: 5,
                  },
                }),
            members: (over.members ?? []) as never,
          },
        ],
      },
    ],
    scaling_groups: [{ scaling_group_id: "asg-1", instances: (over.instances ?? []) as never }],
  } as StateInput);
}

const apigBinding: Binding = {
  scaling_group_id: "asg-1",
  gateway: "apig",
  instance_id: "apig-1",
  vpc_channel_id: "chan-a",
  member_group_name: "web",
  drain_seconds: 0,
};

describe("scale-in with draining", () => {
  it("disables, waits drain_seconds, then deletes", async () => {
    emu.control.load(
      baseState({
        instances: [instance("i-1")],
        members: [
          { ecs_id: "i-1", ecs_name: "web-i-1", member_group_name: "web" },
          { ecs_id: "i-9", ecs_name: "web-i-9", member_group_name: "web" },
        ],
      }),
    );
    const res = await invoke("scaling-events", smnEvent("scale in"), {
      env: envFor(emu, [{ ...webBinding, drain_seconds: 1 }]),
    });
    expect(res.summary).toMatchObject({ disabled: 1, removed: 1, dead_lettered: 0 });
    expect(writeNames()).toEqual(["batch-disable", "DELETE member"]);
    const [disable, del] = writes(emu);
    // The delete waited out the drain after the disable (a lower bound, so a slow machine cannot fail it).
    expect(Date.parse(del!.time) - Date.parse(disable!.time)).toBeGreaterThanOrEqual(950);
    expect(members(emu).map((m) => m.ecs_id)).toEqual(["i-1"]);
  });

  it("leaves a member disabled when the drain does not fit, and the next run drains it in full before deleting", async () => {
    loadTerminating();
    const env = envFor(emu, [{ ...webBinding, drain_seconds: 2 }]);
    // 2 s of drain do not fit in 6 s less the 5 s kept back for the deletes and callbacks.
    const first = await invoke("scaling-events", smnEvent("scale in"), { env, remainingMs: 6_000 });
    expect(first.summary).toMatchObject({ disabled: 1, removed: 0, hooks_completed: 0, dead_lettered: 0 });
    expect(members(emu).find((m) => m.ecs_id === "i-9")?.status).toBe(2);
    // The terminate hook must not be completed while the member is still there.
    expect(group().hanging).toHaveLength(1);

    emu.control.clearCalls();
    // Nothing shows how long the member has been disabled (the member model has no such time): the
    // next run waits drain_seconds again, so no run, killed or short of time, shortens a drain.
    const started = Date.now();
    const second = await invoke("reconcile", timerEvent(), { env, remainingMs: 20_000 });
    expect(second.summary).toMatchObject({ disabled: 0, removed: 1, hooks_completed: 1 });
    expect(writeNames()).toEqual(["DELETE member", "callback CONTINUE"]);
    const deleted = writes(emu).find((c) => c.method === "DELETE")!;
    // (a timer may fire a millisecond early against Date.now())
    expect(Date.parse(deleted.time) - started).toBeGreaterThanOrEqual(2_000 - 5);
    expect(group().hanging).toHaveLength(0);
    expect(group().instances.map((i) => i.instance_id)).toEqual(["i-1"]);
  });

  it("counts a delete that finds the member already gone (APIG.3024) as done", async () => {
    emu.control.load(
      baseState({ members: [{ ecs_id: "i-9", ecs_name: "web-i-9", member_group_name: "web" }] }),
    );
    emu.control.addFault({
      method: "DELETE",
      status: 404,
      body: { error_code: "APIG.3024", error_msg: "The VPC instance does not exist,id:x" },
    });
    const res = await invoke("reconcile", timerEvent(), { env: envFor(emu, [webBinding]) });
    expect(res.summary).toMatchObject({ removed: 1, dead_lettered: 0 });
    expect(res.deadLetters).toEqual([]);
  });

  it("re-enables a disabled member whose instance is desired again", async () => {
    emu.control.load(
      baseState({
        instances: [instance("i-1")],
        members: [{ ecs_id: "i-1", ecs_name: "web-i-1", member_group_name: "web", status: 2 }],
      }),
    );
    const res = await invoke("reconcile", timerEvent(), { env: envFor(emu, [webBinding]) });
    expect(res.summary?.updated).toBe(1);
    expect(writeNames()).toEqual(["batch-enable"]);
    expect(members(emu).find((m) => m.ecs_id === "i-1")?.status).toBe(1);
  });
});

describe("quota and races", () => {
  it("at the member quota, removes the replaced member first and then adds the new one", async () => {
    emu.control.setOptions({ memberQuota: 2 });
    emu.control.load(
      baseState({
        instances: [instance("i-2"), instance("i-3")],
        members: [
          { ecs_id: "i-1", ecs_name: "web-i-1", member_group_name: "web" },
          { ecs_id: "i-2", ecs_name: "web-i-2", member_group_name: "web" },
        ],
      }),
    );
    const res = await invoke("reconcile", timerEvent(), { env: envFor(emu, [webBinding]) });
    expect(res.summary).toMatchObject({ added: 1, removed: 1, dead_lettered: 0 });
    expect(writeNames()).toEqual(["POST members", "batch-disable", "DELETE member", "POST members"]);
    expect(writes(emu)[0]!.status).toBe(403);
    expect(
      members(emu)
        .map((m) => m.ecs_id)
        .sort(),
    ).toEqual(["i-2", "i-3"]);
    expect(res.summary?.plan.find((p) => p.action === "add")?.status).toBe("done");
  });

  it("takes a 2xx answer to a write as done, whatever shape its body has", async () => {
    emu.control.load(baseState({ instances: [instance("i-1")], members: [] }));
    emu.control.addFault({
      method: "POST",
      path: "/member-groups$",
      status: 201,
      body: "",
      afterApply: true,
    });
    const blue = await invoke("reconcile", timerEvent(), {
      env: envFor(emu, [{ ...webBinding, member_group_name: "blue" }]),
    });
    expect(blue.summary).toMatchObject({ added: 1, dead_lettered: 0 });
    expect(writeNames()).toEqual(["POST members", "POST member-groups", "POST members"]);

    emu.control.clearCalls();
    emu.control.addFault({ method: "POST", path: "/members$", status: 201, body: { accepted: true } });
    const web = await invoke("reconcile", timerEvent(), { env: envFor(emu, [webBinding]) });
    expect(web.summary).toMatchObject({ added: 1, dead_lettered: 0 });
    expect(writeNames()).toEqual(["POST members"]);
  });

  it("dead-letters an add refused for the quota when nothing can make room", async () => {
    emu.control.setOptions({ memberQuota: 1 });
    emu.control.load(baseState({ instances: [instance("i-1"), instance("i-2")], members: [] }));
    const res = await invoke("reconcile", timerEvent(), { env: envFor(emu, [webBinding]) });
    expect(res.summary).toMatchObject({ added: 0, dead_lettered: 1 });
    expect(res.deadLetters[0]).toMatchObject({
      action: "add_members",
      instance_ids: ["i-1", "i-2"],
      error: { status: 403, code: "APIG.3110" },
      replay: { scaling_group_ids: ["asg-1"] },
    });
  });

  it("at the member quota, lands the weight change batched with a refused add and dead-letters only the add", async () => {
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
    const res = await invoke("reconcile", timerEvent(), { env: envFor(emu, [{ ...webBinding, weight: 5 }]) });
    expect(
      members(emu)
        .map((m) => `${m.ecs_id}:${m.weight}`)
        .sort(),
    ).toEqual(["i-1:5", "i-2:5"]);
    expect(writeNames()).toEqual(["POST members", "POST members"]);
    expect(writes(emu).map((c) => c.status)).toEqual([403, 201]);
    expect(res.summary).toMatchObject({ added: 0, updated: 1, unchanged: 1, dead_lettered: 1 });
    expect(res.summary?.plan.map((p) => [p.action, p.instance_id, p.status])).toEqual([
      ["update", "i-2", "done"],
      ["add", "i-3", "failed"],
    ]);
    expect(res.deadLetters).toMatchObject([
      { action: "add_members", instance_ids: ["i-3"], error: { status: 403, code: "APIG.3110" } },
    ]);
  });

  it("when batch-disable finds a member gone (APIG.3024), disables the ones still there", async () => {
    emu.control.load(
      baseState({
        members: [
          { ecs_id: "i-8", ecs_name: "web-i-8", member_group_name: "web" },
          { ecs_id: "i-9", ecs_name: "web-i-9", member_group_name: "web" },
        ],
      }),
    );
    emu.control.addFault({
      path: "batch-disable$",
      status: 404,
      body: { error_code: "APIG.3024", error_msg: "The VPC instance does not exist,id:x" },
    });
    const res = await invoke("reconcile", timerEvent(), { env: envFor(emu, [webBinding]) });
    expect(res.summary).toMatchObject({ disabled: 2, removed: 2, dead_lettered: 0 });
    expect(members(emu)).toEqual([]);
  });
});

describe("lifecycle hooks", () => {
  it("registers a launching instance, then completes its hook with CONTINUE", async () => {
    emu.control.load(
      withHooks(baseState({ instances: [instance("i-1"), instance("i-2", "PENDING_WAIT", "INITIALIZING")] })),
    );
    emu.control.addHangingHook({
      scaling_group_id: "asg-1",
      instance_id: "i-2",
      lifecycle_hook_name: "launch",
    });
    const res = await invoke(
      "scaling-events",
      smnEvent(
        JSON.stringify({ scaling_group_id: "asg-1", instance_id: "i-2", lifecycle_hook_name: "launch" }),
      ),
      { env: envFor(emu, [webBinding]) },
    );
    expect(res.summary).toMatchObject({ added: 2, hooks_completed: 1 });
    expect(writeNames()).toEqual(["POST members", "callback CONTINUE"]);
    const callback = writes(emu)[1]!.body as Record<string, string>;
    expect(callback.lifecycle_action_key).toBeTruthy();
    expect(group().instances.find((i) => i.instance_id === "i-2")?.life_cycle_state).toBe("INSERVICE");
  });

  it("never completes a launch hook when the registration failed", async () => {
    emu.control.load(withHooks(baseState({ instances: [instance("i-2", "PENDING_WAIT", "INITIALIZING")] })));
    emu.control.addHangingHook({
      scaling_group_id: "asg-1",
      instance_id: "i-2",
      lifecycle_hook_name: "launch",
    });
    emu.control.addFault({
      method: "POST",
      path: "/members$",
      status: 400,
      times: 0,
      body: { error_code: "APIG.2012", error_msg: "Invalid parameter value" },
    });
    const res = await invoke("scaling-events", smnEvent('{"scaling_group_id":"asg-1"}'), {
      env: envFor(emu, [webBinding]),
    });
    expect(res.summary).toMatchObject({ added: 0, hooks_completed: 0, dead_lettered: 1 });
    expect(res.deadLetters[0]).toMatchObject({
      action: "add_members",
      instance_ids: ["i-2"],
      error: { code: "APIG.2012" },
    });
    expect(writes(emu).some((c) => c.path.endsWith("/callback"))).toBe(false);
    expect(group().hanging).toHaveLength(1);
  });

  it("drains and deletes a terminating instance's member before completing its hook", async () => {
    loadTerminating();
    const res = await invoke("scaling-events", smnEvent('{"scaling_group_id":"asg-1"}'), {
      env: envFor(emu, [webBinding]),
    });
    expect(res.summary).toMatchObject({ disabled: 1, removed: 1, hooks_completed: 1 });
    expect(writeNames()).toEqual(["batch-disable", "DELETE member", "callback CONTINUE"]);
    expect(group().instances.map((i) => i.instance_id)).toEqual(["i-1"]);
  });

  it("counts a callback refused because the hook no longer waits (AS.7042) as done", async () => {
    emu.control.load(withHooks(baseState({ instances: [instance("i-2", "PENDING_WAIT", "INITIALIZING")] })));
    emu.control.addHangingHook({
      scaling_group_id: "asg-1",
      instance_id: "i-2",
      lifecycle_hook_name: "launch",
    });
    emu.control.addFault({
      path: "/callback$",
      status: 400,
      body: { error: { code: "AS.7042", message: "The lifecycle hook callback object does not exist." } },
    });
    const res = await invoke("scaling-events", smnEvent('{"scaling_group_id":"asg-1"}'), {
      env: envFor(emu, [webBinding]),
    });
    expect(res.summary).toMatchObject({ added: 1, hooks_completed: 0, dead_lettered: 0 });
    expect(res.summary?.plan.find((p) => p.action === "complete_hook")).toMatchObject({
      status: "done",
      already_done: true,
    });
  });

  it("plans hook completions in a dry run without calling back", async () => {
    emu.control.load(withHooks(baseState({ instances: [instance("i-2", "PENDING_WAIT", "INITIALIZING")] })));
    emu.control.addHangingHook({
      scaling_group_id: "asg-1",
      instance_id: "i-2",
      lifecycle_hook_name: "launch",
    });
    const res = await invoke("backfill", { dry_run: true }, { env: envFor(emu, [webBinding]) });
    expect(res.summary?.plan.map((p) => [p.action, p.instance_id, p.result ?? ""])).toEqual([
      ["add", "i-2", ""],
      ["complete_hook", "i-2", "CONTINUE"],
    ]);
    expect(writes(emu)).toEqual([]);
  });
});

describe("health-driven launch hooks (APIG)", () => {
  it("waits while the member is unhealthy, then continues once it reports healthy", async () => {
    emu.control.setOptions({ defaultMemberHealth: "unhealthy" });
    emu.control.load(apigState({ instances: [instance("i-2", "PENDING_WAIT", "INITIALIZING")] }));
    emu.control.addHangingHook({
      scaling_group_id: "asg-1",
      instance_id: "i-2",
      lifecycle_hook_name: "launch",
    });
    const env = envFor(emu, [apigBinding]);
    const first = await invoke("scaling-events", smnEvent('{"scaling_group_id":"asg-1"}'), { env });
    expect(first.summary).toMatchObject({ added: 1, hooks_completed: 0 });
    expect(first.summary?.plan.find((p) => p.action === "wait_hook")?.reason).toBe(
      "member health is unhealthy",
    );
    expect(writes(emu).every((c) => c.path.includes("/apigw/") || !c.path.includes("/apic/"))).toBe(true);
    expect(group().hanging).toHaveLength(1);

    emu.control.setMemberHealth({
      instance_id: "apig-1",
      vpc_channel_id: "chan-a",
      ecs_id: "i-2",
      health_status: "healthy",
    });
    emu.control.clearCalls();
    const second = await invoke("reconcile", timerEvent(), { env });
    expect(second.summary).toMatchObject({ added: 0, hooks_completed: 1 });
    expect(writeNames()).toEqual(["callback CONTINUE"]);
  });

  it("polls health within the invocation, so a member that turns healthy is continued in the same run", async () => {
    emu.control.setOptions({ defaultMemberHealth: "unknown" });
    emu.control.load(apigState({ instances: [instance("i-2", "PENDING_WAIT", "INITIALIZING")] }));
    emu.control.addHangingHook({
      scaling_group_id: "asg-1",
      instance_id: "i-2",
      lifecycle_hook_name: "launch",
    });
    const timer = setTimeout(
      () =>
        emu.control.setMemberHealth({
          instance_id: "apig-1",
          vpc_channel_id: "chan-a",
          health_status: "healthy",
        }),
      150,
    );
    const res = await invoke("scaling-events", smnEvent('{"scaling_group_id":"asg-1"}'), {
      env: envFor(emu, [apigBinding], { HEALTH_WAIT_MAX_MS: "10000" }),
    });
    clearTimeout(timer);
    expect(res.summary).toMatchObject({ added: 1, hooks_completed: 1 });
    expect(writeNames()).toEqual(["POST members", "callback CONTINUE"]);
  });

  it("abandons when the member stays unhealthy past healthy_timeout_seconds, and AS replaces the instance", async () => {
    emu.control.load(
      apigState({
        instances: [instance("i-2", "PENDING_WAIT", "INITIALIZING")],
        members: [
          {
            ecs_id: "i-2",
            ecs_name: "web-i-2",
            member_group_name: "web",
            health_status: "unhealthy",
            create_time: new Date(Date.now() - 120_000).toISOString(),
          },
        ],
      }),
    );
    emu.control.addHangingHook({
      scaling_group_id: "asg-1",
      instance_id: "i-2",
      lifecycle_hook_name: "launch",
    });
    const env = envFor(emu, [{ ...apigBinding, healthy_timeout_seconds: 60 }]);
    const res = await invoke("reconcile", timerEvent(), { env });
    expect(res.summary).toMatchObject({ hooks_completed: 1 });
    expect(writeNames()).toEqual(["callback ABANDON"]);
    expect(group().instances).toEqual([]);
    // The next run removes the member of the abandoned instance.
    const next = await invoke("reconcile", timerEvent(), { env });
    expect(next.summary?.removed).toBe(1);
    expect(members(emu, "apig-1", "chan-a")).toEqual([]);
  });

  it("does not wait for health on a channel without a health check", async () => {
    emu.control.setOptions({ defaultMemberHealth: "unknown" });
    emu.control.load(
      apigState({ health_check: false, instances: [instance("i-2", "PENDING_WAIT", "INITIALIZING")] }),
    );
    emu.control.addHangingHook({
      scaling_group_id: "asg-1",
      instance_id: "i-2",
      lifecycle_hook_name: "launch",
    });
    const res = await invoke("scaling-events", smnEvent('{"scaling_group_id":"asg-1"}'), {
      env: envFor(emu, [apigBinding]),
    });
    expect(res.summary).toMatchObject({ added: 1, hooks_completed: 1 });
  });
});

describe("health-driven launch hooks, channel not otherwise read", () => {
  it("continues a registered member's hook on an APIG channel without a health check", async () => {
    emu.control.load(
      apigState({
        health_check: false,
        instances: [instance("i-2", "PENDING_WAIT", "INITIALIZING")],
        members: [{ ecs_id: "i-2", ecs_name: "web-i-2", member_group_name: "web", health_status: "unknown" }],
      }),
    );
    emu.control.addHangingHook({
      scaling_group_id: "asg-1",
      instance_id: "i-2",
      lifecycle_hook_name: "launch",
    });
    const res = await invoke("reconcile", timerEvent(), {
      env: envFor(emu, [{ ...apigBinding, healthy_timeout_seconds: 0 }]),
    });
    expect(res.summary).toMatchObject({ added: 0, hooks_completed: 1 });
    expect(writeNames()).toEqual(["callback CONTINUE"]);
  });
});

describe("channel setup (member-groups and health-config, never the whole-channel PUT)", () => {
  it("creates a missing member group with one add-or-update call, keeping every other group and member", async () => {
    const state = baseState({ instances: [instance("i-1")] });
    emu.control.load(state);
    const groupsBefore = emu.control.state().gateways[0]!.channels[0]!.member_groups;
    const env = envFor(emu, [{ ...webBinding, member_group_name: "blue" }]);
    const res = await invoke("reconcile", timerEvent(), { env });
    expect(res.summary?.added).toBe(1);
    expect(res.deadLetters).toEqual([]);
    // The add into the group the channel lacks is refused; the channel read that follows shows why.
    expect(writeNames()).toEqual(["POST members", "POST member-groups", "POST members"]);
    expect(writes(emu).map((c) => c.status)).toEqual([400, 201, 201]);
    // Marked as the function's own (tag bindings may write only to such a group), and no group weight.
    expect(writes(emu)[1]!.body).toEqual({
      member_groups: [{ member_group_name: "blue", member_group_remark: MANAGED_REMARK }],
    });
    const chan = emu.control.state().gateways[0]!.channels[0]!;
    expect(chan.member_groups.slice(0, 2)).toEqual(groupsBefore);
    expect(chan.member_groups.map((g) => g.member_group_name)).toEqual(["web", "other", "blue"]);
    expect(chan.members.map((m) => `${m.member_group_name}/${m.ecs_id}`).sort()).toEqual([
      "blue/i-1",
      "other/foreign-1",
    ]);
    emu.control.clearCalls();
    await invoke("reconcile", timerEvent(), { env });
    expect(writes(emu)).toEqual([]);
  });

  it("enforces health_check once with PUT health-config (protocol upper-case), then writes nothing", async () => {
    emu.control.load(apigState({ health_check: false, instances: [instance("i-1")] }));
    const health_check = {
      protocol: "http",
      path: "/ready",
      http_code: "200-299",
      threshold_normal: 2,
      threshold_abnormal: 2,
      time_interval: 15,
      timeout: 3,
    };
    const env = envFor(emu, [{ ...apigBinding, health_check }]);
    const first = await invoke("reconcile", timerEvent(), { env });
    expect(first.summary?.added).toBe(1);
    expect(writeNames()).toEqual(["PUT health-config", "POST members"]);
    expect(writes(emu)[0]!.body).toEqual({ ...health_check, protocol: "HTTP" });
    expect(emu.control.state().gateways[0]!.channels[0]!.vpc_health_config).toMatchObject({
      path: "/ready",
      timeout: 3,
    });
    emu.control.clearCalls();
    await invoke("reconcile", timerEvent(), { env });
    expect(writes(emu)).toEqual([]);
  });
});

describe("ip channels", () => {
  it("registers the private IPv4 with the binding's port, and a converged run reads no ECS", async () => {
    emu.control.load({
      gateways: romaInstance([romaChannel({ id: "chan-ip", port: 80, memberType: "ip", groups: ["web"] })]),
      scaling_groups: [{ scaling_group_id: "asg-1", instances: [instance("i-1"), instance("i-2")] }],
      servers: [
        { id: "i-1", name: "web-i-1", ipv4: "192.168.0.11" },
        { id: "i-2", name: "web-i-2", ipv4: "192.168.0.12" },
      ],
    } as StateInput);
    const env = envFor(emu, [{ ...webBinding, vpc_channel_id: "chan-ip", port: 8443 }]);
    const first = await invoke("reconcile", timerEvent(), { env });
    expect(first.summary?.added).toBe(2);
    expect(
      members(emu, "roma-1", "chan-ip")
        .map((m) => [m.host, m.port])
        .sort(),
    ).toEqual([
      ["192.168.0.11", 8443],
      ["192.168.0.12", 8443],
    ]);
    expect(emu.control.calls().filter((c) => c.service === "ecs")).toHaveLength(1);
    emu.control.clearCalls();
    const second = await invoke("reconcile", timerEvent(), { env });
    expect(second.summary?.unchanged).toBe(2);
    expect(writes(emu)).toEqual([]);
    expect(emu.control.calls().filter((c) => c.service === "ecs")).toEqual([]);
  });
});

describe("writes and scale", () => {
  it("serialises writes to one channel (concurrent writes would fail with APIG.9999)", async () => {
    emu.control.setOptions({ latencyMs: 30 });
    emu.control.load(
      baseState({
        instances: [instance("i-1"), instance("i-2")],
        instances2: [instance("b-1")],
        members: [{ ecs_id: "old", ecs_name: "old", member_group_name: "other" }],
      }),
    );
    const env = envFor(emu, [
      webBinding,
      { ...webBinding, scaling_group_id: "asg-2", member_group_name: "other" },
    ]);
    const res = await invoke("reconcile", timerEvent(), { env });
    expect(res.summary).toMatchObject({ added: 3, removed: 1, dead_lettered: 0 });
    expect(emu.control.calls().every((c) => c.status < 400)).toBe(true);
  });

  it("reads every page when the API serves fewer items a page than asked for", async () => {
    emu.control.setOptions({ memberQuota: 100, pageSizeCap: 20 });
    const ids = Array.from({ length: 45 }, (_, i) => `i-${String(i).padStart(2, "0")}`);
    emu.control.load(
      baseState({
        instances: ids.map((id) => instance(id)),
        members: [
          ...ids.map((id) => ({ ecs_id: id, ecs_name: `web-${id}`, member_group_name: "web" })),
          { ecs_id: "stray", ecs_name: "stray", member_group_name: "web" },
        ],
      }),
    );
    const res = await invoke("reconcile", timerEvent(), { env: envFor(emu, [webBinding]) });
    emu.control.setOptions({ pageSizeCap: 500 });
    // All 45 instances and 46 members were seen: only the stray on the last member page is removed.
    expect(res.summary).toMatchObject({ unchanged: 45, added: 0, updated: 0, removed: 1 });
    const listed = emu.control.calls().filter((c) => c.method === "GET");
    // Three pages before the plan, three again after the drain (the delete acts on a fresh listing).
    expect(listed.filter((c) => c.path.endsWith("/members"))).toHaveLength(6);
    expect(listed.filter((c) => c.path.includes("scaling_group_instance"))).toHaveLength(3);
  });

  it("makes no write on a converged channel of 45 members and a group of 45 instances", async () => {
    emu.control.setOptions({ memberQuota: 100 });
    const ids = Array.from({ length: 45 }, (_, i) => `i-${String(i).padStart(2, "0")}`);
    emu.control.load(
      baseState({
        instances: ids.map((id) => instance(id)),
        members: ids.map((id) => ({ ecs_id: id, ecs_name: `web-${id}`, member_group_name: "web" })),
      }),
    );
    const res = await invoke("reconcile", timerEvent(), { env: envFor(emu, [webBinding]) });
    expect(res.summary).toMatchObject({ unchanged: 45, added: 0, updated: 0, removed: 0 });
    expect(writes(emu)).toEqual([]);
    // Reads: one member page, one instance page; no hook list (no instance waits on one), no channel.
    expect(emu.control.calls().map((c) => lastSegment(c.path))).toEqual(["members", "list"]);
  });
});
