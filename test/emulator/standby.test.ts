import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { emulatorForFile } from "../support/emulator-for-file";
import type { Emulator } from "./index";

/**
 * The emulator's AS standby actions and ECS server tags over real sockets, requests signed with the
 * official SDK signer (like test/emulator/emulator.test.ts): the routes verify signatures like every other.
 */

const require = createRequire(import.meta.url);
const { AKSKSigner } = require("@huaweicloud/huaweicloud-sdk-core/auth/AKSKSigner") as {
  AKSKSigner: { sign(request: unknown, credential: unknown): Record<string, string> };
};

const emu = await emulatorForFile();
const PROJECT = emu.projectId;
const ACTION = `/autoscaling-api/v1/${PROJECT}/scaling_group_instance/asg-1/action`;
const tagAction = (id: string) => `/v1/${PROJECT}/cloudservers/${id}/tags/action`;

async function post(e: Emulator, path: string, body: unknown, sk = "EMULATORSK") {
  const headers: Record<string, string> = { "Content-Type": "application/json", "X-Project-Id": e.projectId };
  const signed = AKSKSigner.sign(
    { endpoint: `${e.url}${path}`, method: "POST", headers, queryParams: {}, data: body },
    { getAk: () => "EMULATORAK", getSk: () => sk },
  );
  delete signed.host;
  const res = await fetch(`${e.url}${path}`, { method: "POST", headers: signed, body: JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text === "" ? undefined : JSON.parse(text) };
}

async function get(e: Emulator, path: string, query: Record<string, string>) {
  const headers: Record<string, string> = { "X-Project-Id": e.projectId };
  const signed = AKSKSigner.sign(
    { endpoint: `${e.url}${path}`, method: "GET", headers, queryParams: query },
    { getAk: () => "EMULATORAK", getSk: () => "EMULATORSK" },
  );
  delete signed.host;
  const qs = new URLSearchParams(query).toString();
  const res = await fetch(`${e.url}${path}?${qs}`, { headers: signed });
  return { status: res.status, body: await res.json() };
}

const ids = (n: number) => Array.from({ length: n }, (_, k) => `i-${k}`);

function load(n = 12) {
  emu.control.reset();
  emu.control.load({
    scaling_groups: [
      {
        scaling_group_id: "asg-1",
        scaling_group_name: "web",
        instances: ids(n).map((instance_id) => ({ instance_id })),
      },
    ],
    servers: ids(n).map((id) => ({ id })),
  });
}
const states = () =>
  Object.fromEntries(
    emu.control.state().scaling_groups[0]!.instances.map((i) => [i.instance_id, i.life_cycle_state]),
  );

describe("AS batch action: ENTER_STANDBY / EXIT_STANDBY", () => {
  it("ENTER_STANDBY with instance_append yes: STANDBY, a PENDING replacement, then INSERVICE when the activity ends", async () => {
    load(2);
    const res = await post(emu, ACTION, {
      action: "ENTER_STANDBY",
      instances_id: ["i-0"],
      instance_append: "yes",
    });
    expect(res.status).toBe(204);
    const after = states();
    expect(after["i-0"]).toBe("STANDBY");
    const [replacement] = Object.keys(after).filter((id) => !id.startsWith("i-"));
    expect(after[replacement!]).toBe("PENDING");
    expect(emu.control.state().servers.map((s) => s.id)).toContain(replacement);

    // The replacement is a scaling activity: batch actions are refused until it ends.
    const refused = await post(emu, ACTION, { action: "ENTER_STANDBY", instances_id: ["i-1"] });
    expect(refused).toEqual({
      status: 400,
      body: { error: { code: "AS.2020", message: "The scaling group status is illegal." } },
    });
    emu.control.setScalingActivity("asg-1", false);
    expect(states()[replacement!]).toBe("INSERVICE");

    expect((await post(emu, ACTION, { action: "EXIT_STANDBY", instances_id: ["i-0"] })).status).toBe(204);
    expect(states()["i-0"]).toBe("INSERVICE");
  });

  it("without instance_append nothing is launched; at most 10 ids, all or nothing", async () => {
    load();
    expect((await post(emu, ACTION, { action: "ENTER_STANDBY", instances_id: ["i-0"] })).status).toBe(204);
    expect(Object.keys(states())).toHaveLength(12);

    const tooMany = await post(emu, ACTION, { action: "ENTER_STANDBY", instances_id: ids(11) });
    expect(tooMany.body.error.code).toBe("AS.4043");
    // i-0 is already STANDBY: the whole batch is refused, i-1 stays INSERVICE.
    const mixed = await post(emu, ACTION, { action: "ENTER_STANDBY", instances_id: ["i-1", "i-0"] });
    expect(mixed).toMatchObject({ status: 400, body: { error: { code: "AS.4015" } } });
    expect(states()["i-1"]).toBe("INSERVICE");
    expect((await post(emu, ACTION, { action: "EXIT_STANDBY", instances_id: ["i-1"] })).body.error.code).toBe(
      "AS.4015",
    );
    expect(
      (await post(emu, ACTION, { action: "ENTER_STANDBY", instances_id: ["nope"] })).body.error.code,
    ).toBe("AS.4006");
    expect((await post(emu, ACTION, { action: "ENTER_STANDBY", instances_id: [] })).body.error.code).toBe(
      "AS.4032",
    );
    expect((await post(emu, ACTION, { action: "SLEEP", instances_id: ["i-1"] })).body.error.code).toBe(
      "AS.4018",
    );
    expect(
      (await post(emu, ACTION, { action: "ENTER_STANDBY", instances_id: ["i-1"], instance_append: "YES" }))
        .body.error.code,
    ).toBe("AS.0022");
  });

  it("a scaling activity set by a test refuses; a bad signature is rejected before anything changes", async () => {
    load(2);
    emu.control.setScalingActivity("asg-1", true);
    expect((await post(emu, ACTION, { action: "ENTER_STANDBY", instances_id: ["i-0"] })).status).toBe(400);
    emu.control.setScalingActivity("asg-1", false);
    const forged = await post(emu, ACTION, { action: "ENTER_STANDBY", instances_id: ["i-0"] }, "WRONGSK");
    expect(forged.status).toBe(401);
    expect(states()["i-0"]).toBe("INSERVICE");
  });
});

describe("ECS server tags", () => {
  it("create and delete by the batch action; ListServersDetails shows key=value", async () => {
    load(2);
    const created = await post(emu, tagAction("i-0"), {
      action: "create",
      tags: [{ key: "channel-autoscaler-unhealthy-since", value: "1795309200" }],
    });
    expect(created.status).toBe(204);
    const listed = await get(emu, `/v1/${PROJECT}/cloudservers/detail`, { server_id: "i-0,i-1" });
    expect(listed.body.servers.map((s: { tags: string[] }) => s.tags)).toEqual([
      ["channel-autoscaler-unhealthy-since=1795309200"],
      [],
    ]);
    // Deleting is idempotent; a missing tag is not an error.
    for (let k = 0; k < 2; k++) {
      const res = await post(emu, tagAction("i-0"), {
        action: "delete",
        tags: [{ key: "channel-autoscaler-unhealthy-since" }],
      });
      expect(res.status).toBe(204);
    }
    expect(emu.control.state().servers[0]!.tags).toEqual({});
  });

  it("enforces the key and value rules, at most 10 tags, and lower-case actions", async () => {
    load(1);
    const bad = [
      { action: "CREATE", tags: [{ key: "k", value: "v" }] },
      { action: "create", tags: [{ key: "k".repeat(37), value: "v" }] },
      { action: "create", tags: [{ key: "k", value: "a b" }] },
      { action: "create", tags: Array.from({ length: 11 }, (_, k) => ({ key: `k${k}`, value: "v" })) },
    ];
    for (const body of bad) expect((await post(emu, tagAction("i-0"), body)).status).toBe(400);
    expect(
      (await post(emu, tagAction("ghost"), { action: "create", tags: [{ key: "k", value: "v" }] })).status,
    ).toBe(404);
    expect(
      (await post(emu, tagAction("i-0"), { action: "create", tags: [{ key: "k", value: "v" }] }, "WRONG"))
        .status,
    ).toBe(401);
    expect(emu.control.state().servers[0]!.tags ?? {}).toEqual({});
  });
});
