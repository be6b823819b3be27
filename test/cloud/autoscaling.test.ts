import { beforeEach, describe, expect, it } from "vitest";
import { AutoScalingClient } from "../../src/cloud/autoscaling";
import { Deadline } from "../../src/cloud/deadline";
import { CloudHttp } from "../../src/cloud/http";
import { Logger } from "../../src/observability/logger";
import { RunMetrics } from "../../src/observability/metrics";
import { emulatorForFile } from "../support/emulator-for-file";
import { instance } from "../support/harness";

/** AS's instance listing against the emulator: records without an id, and the offsets that page past them. */

const emu = await emulatorForFile();
const logs: Record<string, unknown>[] = [];
const client = new AutoScalingClient(
  new CloudHttp({
    projectId: emu.projectId,
    endpointOf: () => emu.url,
    credentials: { ak: "EMULATORAK", sk: "EMULATORSK" },
    deadline: new Deadline(60_000, 0, () => 0),
    policy: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1 },
    requestTimeoutMs: 10_000,
    metrics: new RunMetrics(),
    limiters: {},
  }),
  new Logger({ level: "debug", write: (line) => logs.push(JSON.parse(line)) }),
);

beforeEach(() => {
  emu.control.reset();
  emu.control.load({ scaling_groups: [{ scaling_group_id: "asg-1", instances: [] }] });
  logs.length = 0;
});

const noId = { instance_name: "web-new", life_cycle_state: "PENDING", health_status: "INITIALIZING" };
/** One answer of the listing, served once, in the order added. */
const page = (total: number, records: unknown[]) => ({
  method: "GET",
  path: "/scaling_group_instance/asg-1/list$",
  status: 200,
  body: { total_number: total, scaling_group_instances: records },
});
const offsetsAsked = () =>
  emu.control
    .calls()
    .filter((c) => c.path.endsWith("/scaling_group_instance/asg-1/list"))
    .map((c) => c.query.start_number);

describe("listGroupInstances", () => {
  it("skips records without an id, counting them in the offsets of the pages that follow", async () => {
    // A server that serves two records a page, whatever is asked for.
    emu.control.addFault([
      page(5, [instance("i-a"), noId]),
      page(5, [instance("i-b"), instance("i-c")]),
      page(5, [instance("i-d")]),
    ]);
    const listed = await client.listGroupInstances("asg-1");
    expect(listed.map((i) => i.instance_id)).toEqual(["i-a", "i-b", "i-c", "i-d"]);
    expect(offsetsAsked()).toEqual(["0", "2", "4"]);
    expect(logs).toEqual([
      expect.objectContaining({
        level: "warn",
        msg: "AS listed instance records without an instance_id; they are skipped",
        scaling_group_id: "asg-1",
        records_without_id: 1,
      }),
    ]);
  });

  it("pages of records without ids only cost no more calls than the first page's total allows", async () => {
    // Nothing tells such a page from a repeat of it: the total bounds the listing, as for any listing.
    emu.control.addFault({ ...page(6, [noId, noId]), times: 0 });
    expect(await client.listGroupInstances("asg-1")).toEqual([]);
    expect(offsetsAsked()).toEqual(["0", "2", "4"]);
    expect(logs).toEqual([expect.objectContaining({ level: "warn", records_without_id: 6 })]);
  });

  it("a repeated page is still caught when it has ids, records without one beside them", async () => {
    emu.control.addFault({ ...page(1000, [instance("i-a"), noId]), times: 0 });
    await expect(client.listGroupInstances("asg-1")).rejects.toMatchObject({
      code: "PAGING_INCONSISTENT",
      message: expect.stringContaining("holds no id that earlier pages did not"),
    });
    expect(offsetsAsked()).toEqual(["0", "2"]);
  });
});

describe("listHangingHooks", () => {
  it("skips records without an instance_id with one warning, and keeps the others", async () => {
    emu.control.addFault({
      method: "GET",
      path: "/scaling_instance_hook/asg-1/list$",
      status: 200,
      body: {
        instance_hanging_info: [
          { lifecycle_hook_name: "launch", lifecycle_action_key: "k-0", lifecycle_hook_status: "HANGING" },
          { instance_id: "i-1", lifecycle_hook_name: "launch", lifecycle_action_key: "k-1" },
          { instance_id: "i-2", lifecycle_hook_name: "launch", lifecycle_hook_status: "CONTINUE" },
        ],
      },
    });
    const hooks = await client.listHangingHooks("asg-1");
    expect(hooks.map((h) => [h.instance_id, h.lifecycle_action_key])).toEqual([["i-1", "k-1"]]);
    expect(logs).toEqual([
      expect.objectContaining({
        level: "warn",
        msg: "AS listed hanging lifecycle actions without an instance_id; they are skipped",
        scaling_group_id: "asg-1",
        records_without_id: 1,
      }),
    ]);
  });
});

describe("readGroupInstances", () => {
  it("counts the records without an id: the listing cannot name every instance", async () => {
    emu.control.addFault(page(3, [instance("i-a"), noId, instance("i-b")]));
    const listing = await client.readGroupInstances("asg-1");
    expect(listing.instances.map((i) => i.instance_id)).toEqual(["i-a", "i-b"]);
    expect(listing.unidentified).toBe(1);
  });
});
