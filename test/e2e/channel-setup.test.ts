/**
 * Channel setup next to an operator who edits the same channel. The product creates member groups
 * with the add-or-update member-groups API and sets the health check with the health-config API
 * (official SDKs: GenReqDefForCreateMemberGroup / GenReqDefForUpdateHealthCheck in
 * services/{roma,apig}/v2/*_meta.go), never with the whole-channel PUT (UpdateVpcChannelV2), whose
 * read-modify-write undoes whatever changed between the read and the write.
 */
import { createRequire } from "node:module";
import { beforeEach, describe, expect, it } from "vitest";
import type { CallLogEntry } from "../emulator";
import { emulatorForFile } from "../support/emulator-for-file";
import {
  AK,
  baseState,
  envFor,
  HEALTH_CHECK,
  instance,
  invoke,
  MANAGED_REMARK,
  SK,
  timerEvent,
  webBinding,
} from "../support/harness";

const require = createRequire(import.meta.url);
const { AKSKSigner } = require("@huaweicloud/huaweicloud-sdk-core/auth/AKSKSigner") as {
  AKSKSigner: { sign(request: unknown, credential: unknown): Record<string, string> };
};

const emu = await emulatorForFile();
beforeEach(() => {
  emu.control.reset();
  emu.control.setOptions({ memberQuota: 10, latencyMs: 0, defaultMemberHealth: "healthy" });
});

const CHANNEL = `/v2/${emu.projectId}/apic/instances/roma-1/vpc-channels/chan-1`;
const OPERATOR_AGENT = "operator-console";

/** A signed call as another tool would make it (the official SDK signer), marked by its User-Agent. */
async function operatorCall(method: string, path: string, body?: unknown) {
  const headers = { "Content-Type": "application/json", "X-Project-Id": emu.projectId };
  const signed = AKSKSigner.sign(
    { endpoint: `${emu.url}${path}`, method, headers, queryParams: {}, data: body },
    { getAk: () => AK, getSk: () => SK },
  );
  delete signed.host;
  const res = await fetch(`${emu.url}${path}`, {
    method,
    headers: { ...signed, "User-Agent": OPERATOR_AGENT },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text === "" ? undefined : JSON.parse(text) };
}

/** The operator's edit: another balance strategy, a new group, new settings of a foreign group. */
const OPERATOR_EDIT = {
  name: "web_channel",
  port: 8080,
  balance_strategy: 2,
  member_type: "ecs",
  member_groups: [
    { member_group_name: "web" },
    { member_group_name: "other", member_group_weight: 7, member_group_remark: "ops-owned" },
    { member_group_name: "ops" },
  ],
};

const channel = () => emu.control.state().gateways[0]!.channels[0]!;
const wholeChannelPuts = (calls: CallLogEntry[]) =>
  calls.filter((c) => c.method === "PUT" && /\/vpc-channels\/[^/]+$/.test(c.path));

function expectOperatorEditKept() {
  const chan = channel();
  expect(chan.balance_strategy).toBe(2);
  expect(chan.member_groups.find((g) => g.member_group_name === "other")).toMatchObject({
    member_group_weight: 7,
    member_group_remark: "ops-owned",
  });
  expect(chan.member_groups.map((g) => g.member_group_name)).toContain("ops");
}

describe("an operator's edit between our read of the channel and our setup writes", () => {
  it("survives: the member group is added and the health check set beside it", async () => {
    emu.control.load(baseState({ instances: [instance("i-1")] }));
    let edited: number | undefined;
    emu.control.afterNextCall({ method: "GET", path: "/vpc-channels/chan-1$" }, async () => {
      edited = (await operatorCall("PUT", CHANNEL, OPERATOR_EDIT)).status;
    });
    const env = envFor(emu, [{ ...webBinding, member_group_name: "blue", health_check: HEALTH_CHECK }]);
    const res = await invoke("reconcile", timerEvent(), { env });
    expect(edited).toBe(200);
    expect(res.summary).toMatchObject({ added: 1, dead_lettered: 0 });

    expectOperatorEditKept();
    expect(channel().member_groups.map((g) => g.member_group_name)).toEqual(["web", "other", "ops", "blue"]);
    // Marked as ours, and with no group weight, which would override the members' own weights.
    expect(channel().member_groups.at(-1)).toMatchObject({ member_group_remark: MANAGED_REMARK });
    expect(channel().member_groups.at(-1)).not.toHaveProperty("member_group_weight");
    expect(emu.control.calls().find((c) => c.path.endsWith("/member-groups"))?.body).toEqual({
      member_groups: [{ member_group_name: "blue", member_group_remark: MANAGED_REMARK }],
    });
    expect(channel().vpc_health_config).toEqual(HEALTH_CHECK);
    expect(
      channel()
        .members.map((m) => `${m.member_group_name}/${m.ecs_id}`)
        .sort(),
    ).toEqual(["blue/i-1", "other/foreign-1"]);
    // The only whole-channel PUT is the operator's own.
    const puts = wholeChannelPuts(emu.control.calls());
    expect(puts).toHaveLength(1);
    expect(puts[0]!.body).toEqual(OPERATOR_EDIT);

    emu.control.clearCalls();
    await invoke("reconcile", timerEvent(), { env });
    expect(emu.control.calls().filter((c) => c.method !== "GET")).toEqual([]);
    expectOperatorEditKept();
  });

  it("would have been undone by a read-modify-write whole-channel PUT (why the product never sends it)", async () => {
    emu.control.load(baseState({ instances: [instance("i-1")] }));
    const read = await operatorCall("GET", CHANNEL);
    expect((await operatorCall("PUT", CHANNEL, OPERATOR_EDIT)).status).toBe(200);
    // What a read-modify-write client sends: the definition as it read it, plus its new group.
    const stale = read.body as { member_groups: { member_group_name: string }[] } & Record<string, unknown>;
    const rmw = await operatorCall("PUT", CHANNEL, {
      name: stale.name,
      port: stale.port,
      balance_strategy: stale.balance_strategy,
      member_type: stale.member_type,
      member_groups: [
        ...stale.member_groups.map((g) => ({ member_group_name: g.member_group_name })),
        { member_group_name: "blue" },
      ],
      vpc_health_config: HEALTH_CHECK,
    });
    expect(rmw.status).toBe(200);
    expect(channel().balance_strategy).toBe(1);
    expect(channel().member_groups.map((g) => g.member_group_name)).toEqual(["web", "other", "blue"]);
    expect(emu.control.calls().at(-1)?.traps).toEqual(["member_groups_deleted"]);
  });
});

describe("a refused setup write", () => {
  it("is dead-lettered, the other setup write still lands, and the replay converges", async () => {
    emu.control.load(baseState({ instances: [instance("i-1")] }));
    emu.control.addFault({
      method: "POST",
      path: "/member-groups$",
      times: 0,
      status: 400,
      body: { error_code: "APIG.2012", error_msg: "Invalid parameter value,parameterName:member_group_name" },
    });
    const env = envFor(emu, [{ ...webBinding, member_group_name: "blue", health_check: HEALTH_CHECK }]);
    const first = await invoke("reconcile", timerEvent(), { env });
    const setup = first.deadLetters.find((d) => d.action === "update_channel");
    expect(setup).toBeDefined();
    expect(channel().vpc_health_config).toEqual(HEALTH_CHECK);
    expect(channel().member_groups.map((g) => g.member_group_name)).toEqual(["web", "other"]);
    expect(wholeChannelPuts(emu.control.calls())).toEqual([]);

    emu.control.clearFaults();
    const replay = await invoke("backfill", setup!.replay, { env });
    expect(replay.deadLetters).toEqual([]);
    expect(channel().member_groups.map((g) => g.member_group_name)).toEqual(["web", "other", "blue"]);
    expect(
      channel()
        .members.map((m) => `${m.member_group_name}/${m.ecs_id}`)
        .sort(),
    ).toEqual(["blue/i-1", "other/foreign-1"]);
    emu.control.clearCalls();
    await invoke("reconcile", timerEvent(), { env });
    expect(emu.control.calls().filter((c) => c.method !== "GET")).toEqual([]);
  });
});
