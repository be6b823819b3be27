import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { runCli } from "../support/cli";
import { emulatorForFile } from "../support/emulator-for-file";
import { baseState, envFor, instance, members, writes } from "../support/harness";

/** The CLI with BINDINGS_FROM_TAGS: each binding's source, and the problems of skipped groups. */

const emu = await emulatorForFile();
const dir = mkdtempSync(path.join(tmpdir(), "cli-tags-"));

const cli = (argv: string[], env: Record<string, string>) => runCli(argv, env, dir);

const tags = (memberGroup: string, extra: Record<string, string> = {}) =>
  Object.entries({
    "channel-autoscaler-channel": "chan-1",
    "channel-autoscaler-instance": "roma-1",
    "channel-autoscaler-member-group": memberGroup,
    "channel-autoscaler-drain-seconds": "0",
    ...extra,
  }).map(([key, value]) => ({ key, value }));

beforeEach(() => {
  emu.control.reset();
  emu.control.load(baseState({ instances: [instance("i-1")], instances2: [instance("b-1")] }));
  emu.control.setGroupTags("asg-1", tags("web"));
  emu.control.setGroupTags("asg-2", tags("other", { "channel-autoscaler-standby": "maybe" }));
});

/** Only the environment: no BINDINGS, tag discovery on. */
function env(): Record<string, string> {
  const { BINDINGS: _, ...rest } = envFor(emu, [], {
    BINDINGS_FROM_TAGS: "true",
    TAG_BINDINGS_ALLOWED: "roma:roma-1/*",
  });
  return rest;
}

describe("CLI with BINDINGS_FROM_TAGS=true", () => {
  it("validate lists each binding with its source and each skipped group with its problem (exit 1)", async () => {
    const res = await cli(["validate"], env());
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/1 binding \(0 from BINDINGS, 1 from tags/);
    expect(res.stdout).toMatch(/\n {2}0 +asg-1 +tags +roma +roma-1 +chan-1 +web\n/);
    expect(res.stdout).toContain('asg-2: tag channel-autoscaler-standby "maybe": must be "true" or "false"');
    const json = JSON.parse((await cli(["validate", "--json"], env())).stdout);
    expect(json).toMatchObject({
      valid: false,
      bindings: 1,
      bindings_discovered: 1,
      list: [{ scaling_group_id: "asg-1", source: "tags", member_group_name: "web" }],
      skipped: [{ scaling_group_id: "asg-2", problems: [{ tag: "channel-autoscaler-standby" }] }],
    });
  });

  it("validate lists a group whose tags name a channel TAG_BINDINGS_ALLOWED does not list (exit 1)", async () => {
    emu.control.setGroupTags("asg-2", tags("other", { "channel-autoscaler-channel": "chan-9" }));
    const allowed = { ...env(), TAG_BINDINGS_ALLOWED: "roma:roma-1/chan-1,apig:gw-1/*" };
    const res = await cli(["validate"], allowed);
    expect(res.code).toBe(1);
    expect(res.stdout).toContain(
      "Tag bindings may point at: roma:roma-1/chan-1, apig:gw-1/* (TAG_BINDINGS_ALLOWED)",
    );
    expect(res.stdout).toContain(
      'asg-2: tag channel-autoscaler-channel "chan-9": channel roma/roma-1/chan-9 is not in TAG_BINDINGS_ALLOWED',
    );
    const json = JSON.parse((await cli(["validate", "--json"], allowed)).stdout);
    expect(json).toMatchObject({
      valid: false,
      tag_bindings_allowed: ["roma:roma-1/chan-1", "apig:gw-1/*"],
      skipped: [{ scaling_group_id: "asg-2", reason: "not_allowed", binding: { vpc_channel_id: "chan-9" } }],
    });
    // The channel it names is never called.
    expect(emu.control.calls().filter((c) => c.path.includes("chan-9"))).toEqual([]);
  });

  it("plan names the source of each group, shows the skipped group's dead letter, and writes nothing", async () => {
    const res = await cli(["plan"], env());
    expect(res.stdout).toMatch(/asg-1 \[tags\] → channel roma\/roma-1\/chan-1, member group web/);
    expect(res.stdout).toMatch(/add +i-1/);
    expect(res.stdout).toMatch(/tag_binding +asg-2 \(no binding\)/);
    expect(res.code).toBe(1);
    expect(writes(emu)).toEqual([]);
  });

  it("sync converges the tagged groups, and a skipped group named with --group is dead-lettered, not unknown", async () => {
    emu.control.setGroupTags("asg-2", tags("other"));
    const res = await cli(["sync", "--json"], env());
    const report = JSON.parse(res.stdout);
    expect(report.summary).toMatchObject({ bindings: 2, bindings_discovered: 2, added: 1 });
    // "other" is a foreign group (no ownership remark): tagging a group for it does not take it over.
    expect(report.dead_letters).toMatchObject([
      {
        action: "tag_binding",
        binding: { scaling_group_id: "asg-2" },
        error: { code: "MEMBER_GROUP_NOT_MANAGED" },
      },
    ]);
    expect(
      members(emu)
        .map((m) => m.ecs_id)
        .sort(),
    ).toEqual(["foreign-1", "i-1"]);
    const text = await cli(["plan"], env());
    expect(text.stdout).toContain("MEMBER_GROUP_NOT_MANAGED");
    expect(text.stdout).toMatch(/fix: the member group exists and is not marked as the function's/);
    emu.control.setGroupTags("asg-2", tags("other", { "channel-autoscaler-port": "port" }));
    const named = await cli(["backfill", "--group", "asg-2", "--json"], env());
    expect(named.code).toBe(1);
    expect(JSON.parse(named.stdout).dead_letters.map((d: { action: string }) => d.action)).toEqual([
      "tag_binding",
    ]);
  });
});
