/**
 * Deterministic regressions for bugs the property tests found, through the built bundles: on ip
 * channels an update must carry the member's host, and an ECS outage must not take out an address-only
 * member of a healthy instance.
 */
import { beforeEach, describe, expect, it } from "vitest";
import type { StateInput } from "../emulator";
import { emulatorForFile } from "../support/emulator-for-file";
import {
  envFor,
  instance,
  invoke,
  romaChannel,
  romaInstance,
  timerEvent,
  webBinding,
  writes,
} from "../support/harness";
import { groupMembers } from "./support";

const emu = await emulatorForFile();
beforeEach(() => {
  emu.control.reset();
});

function ipChannel(members: unknown[]): StateInput {
  return {
    gateways: romaInstance([romaChannel({ memberType: "ip", members })]),
    scaling_groups: [{ scaling_group_id: "asg-1", instances: [instance("i-1"), instance("i-2")] as never }],
    servers: [
      { id: "i-1", ipv4: "10.0.0.1" },
      { id: "i-2", ipv4: "10.0.0.2" },
    ],
  };
}

describe("ip channels", () => {
  it("an update (weight, name) carries the member's host and succeeds", async () => {
    emu.control.load(
      ipChannel([
        { host: "10.0.0.1", ecs_id: "i-1", ecs_name: "old-name", member_group_name: "web", weight: 4 },
        { host: "10.0.0.2", ecs_id: "i-2", ecs_name: "web-i-2", member_group_name: "web", weight: 1 },
        { host: "10.0.0.1", member_group_name: "other", weight: 9 },
      ]),
    );
    const inv = await invoke("reconcile", timerEvent(), { env: envFor(emu, [webBinding]) });
    expect(inv.deadLetters).toEqual([]);
    expect(inv.summary).toMatchObject({ updated: 1, unchanged: 1 });
    const posts = writes(emu).filter((c) => c.method === "POST");
    expect(posts.map((c) => c.body)).toEqual([
      {
        members: [
          expect.objectContaining({ ecs_id: "i-1", host: "10.0.0.1", weight: 1, ecs_name: "web-i-1" }),
        ],
      },
    ]);
    expect(
      groupMembers(emu, "web")
        .map((m) => [m.host, m.weight, m.ecs_name])
        .sort(),
    ).toEqual([
      ["10.0.0.1", 1, "web-i-1"],
      ["10.0.0.2", 1, "web-i-2"],
    ]);
  });

  it("while ECS cannot say an instance's address, its address-only member is kept", async () => {
    emu.control.load(
      ipChannel([
        { host: "10.0.0.1", member_group_name: "web" },
        { host: "10.0.0.2", member_group_name: "web" },
        { host: "10.0.0.9", member_group_name: "web" },
      ]),
    );
    emu.control.addFault({ method: "GET", path: "/cloudservers/", times: 0, status: 500 });
    const inv = await invoke("reconcile", timerEvent(), {
      env: envFor(emu, [webBinding], { RETRY_MAX_ATTEMPTS: "2" }),
    });
    expect(inv.deadLetters.map((d) => d.action)).toEqual(["resolve_address"]);
    // Neither healthy backend was touched; nothing was removed on a guess.
    expect(writes(emu)).toEqual([]);
    expect(
      groupMembers(emu, "web")
        .map((m) => [m.host, m.status])
        .sort(),
    ).toEqual([
      ["10.0.0.1", 1],
      ["10.0.0.2", 1],
      ["10.0.0.9", 1],
    ]);
    // Once ECS answers, the run claims the two by address and removes only the stray.
    emu.control.clearFaults();
    const again = await invoke("reconcile", timerEvent(), { env: envFor(emu, [webBinding]) });
    expect(again.deadLetters).toEqual([]);
    expect(
      groupMembers(emu, "web")
        .map((m) => m.host)
        .sort(),
    ).toEqual(["10.0.0.1", "10.0.0.2"]);
  });
});
