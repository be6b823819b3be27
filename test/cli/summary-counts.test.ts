import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import type { StateInput } from "../emulator";
import { runCli } from "../support/cli";
import { emulatorForFile } from "../support/emulator-for-file";
import { type Binding, envFor, instance, romaChannel } from "../support/harness";

/**
 * The CLI's summary carries every count the run's plan gives, whichever they are: it sums the runs'
 * summaries over every field of the counts, not over a list of names kept by hand (a list that once
 * forgot `quarantined`).
 */
const emu = await emulatorForFile();
const dir = mkdtempSync(path.join(tmpdir(), "cli-counts-"));
beforeEach(() => emu.control.reset());

const TAG = "channel-autoscaler-unhealthy-since";
const HOUR_AGO = new Date(Date.now() - 3_600_000).toISOString();
const IDS = ["i-1", "i-2", "i-3"];

const binding: Binding = {
  scaling_group_id: "asg-1",
  gateway: "apig",
  instance_id: "apig-1",
  vpc_channel_id: "chan-a",
  member_group_name: "web",
  drain_seconds: 0,
  replace_unhealthy: { after_seconds: 300 },
} as Binding;

/** Three hour-old members of `web` on an APIG channel with a health check; i-1 unhealthy for ten minutes. */
function load() {
  const channel = romaChannel({
    id: "chan-a",
    port: 443,
    groups: ["web"],
    members: IDS.map((id) => ({
      ecs_id: id,
      ecs_name: `web-${id}`,
      member_group_name: "web",
      create_time: HOUR_AGO,
      health_status: id === "i-1" ? "unhealthy" : "healthy",
    })),
  });
  emu.control.load({
    gateways: [
      {
        instance_id: "apig-1",
        kind: "apig",
        channels: [
          {
            ...channel,
            vpc_health_config: {
              protocol: "TCP",
              threshold_normal: 2,
              threshold_abnormal: 3,
              time_interval: 10,
              timeout: 5,
            },
          },
        ],
      },
    ],
    scaling_groups: [
      { scaling_group_id: "asg-1", instances: IDS.map((id) => ({ ...instance(id), create_time: HOUR_AGO })) },
    ],
    servers: IDS.map((id) => ({
      id,
      name: `web-${id}`,
      ...(id === "i-1" ? { tags: { [TAG]: String(Math.floor(Date.now() / 1000) - 600) } } : {}),
    })),
  } as StateInput);
}

const cli = (argv: string[], env: Record<string, string>) => runCli(argv, env, dir);

describe("the CLI's summary", () => {
  it("reports a quarantine the run did (sync --json)", async () => {
    load();
    const { BINDINGS, ...env } = envFor(emu, [binding]);
    writeFileSync(path.join(dir, "bindings.json"), BINDINGS!);
    const res = await cli(["sync", "--json", "--bindings", "bindings.json"], env);
    const doc = JSON.parse(res.stdout) as { summary: Record<string, unknown> };
    expect(doc.summary).toMatchObject({ quarantined: 1, disabled: 1, removed: 1, dead_lettered: 0 });
    expect(res.code).toBe(0);
  });
});
