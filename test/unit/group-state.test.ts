import { describe, expect, it } from "vitest";
import type { AutoScalingClient } from "../../src/cloud/autoscaling";
import { GroupStateReader } from "../../src/sync/group-state";

function fakeAutoscaling() {
  const reads: string[] = [];
  const client = {
    listGroupInstances: async (id: string) => {
      reads.push(id);
      return [{ instance_id: `i-${reads.length}`, scaling_group_id: id }];
    },
    listHangingHooks: async () => [],
  } as unknown as AutoScalingClient;
  return { client, reads };
}

describe("GroupStateReader", () => {
  it("shares a read with a channel that listed its members before the read started", async () => {
    const { client, reads } = fakeAutoscaling();
    const reader = new GroupStateReader(client);
    const a = reader.mark();
    const b = reader.mark();
    const first = await reader.read("g", a);
    const second = await reader.read("g", b);
    expect(second).toBe(first);
    expect(reads).toEqual(["g"]);
  });

  it("reads again for a channel that listed its members after the shared read started", async () => {
    const { client, reads } = fakeAutoscaling();
    const reader = new GroupStateReader(client);
    const a = reader.mark();
    const first = await reader.read("g", a);
    const b = reader.mark();
    const second = await reader.read("g", b);
    expect(second).not.toBe(first);
    expect(reads).toEqual(["g", "g"]);
    // The hooks phase sees the newest read.
    expect((await reader.settled()).get("g")).toBe(second);
  });

  it("reports a failed group as undefined at the end", async () => {
    const client = {
      listGroupInstances: async () => {
        throw new Error("down");
      },
      listHangingHooks: async () => [],
    } as unknown as AutoScalingClient;
    const reader = new GroupStateReader(client);
    await expect(reader.read("g", reader.mark())).rejects.toThrow("down");
    expect((await reader.settled()).get("g")).toBeUndefined();
  });
});
