import { describe, expect, it } from "vitest";
import type { AutoScalingClient } from "../../src/cloud/autoscaling";
import { GroupStateReader } from "../../src/sync/group-state";

function fakeAutoscaling() {
  const reads: string[] = [];
  const client = {
    listGroupInstances: async (id: string, onFirstPage?: (page: unknown[]) => void) => {
      reads.push(id);
      const page = [{ instance_id: `i-${reads.length}`, scaling_group_id: id }];
      onFirstPage?.(page);
      return page;
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
    const first = await reader.read("g", a).state;
    const second = await reader.read("g", b).state;
    expect(second).toBe(first);
    expect(reads).toEqual(["g"]);
  });

  it("reads again for a channel that listed its members after the shared read started", async () => {
    const { client, reads } = fakeAutoscaling();
    const reader = new GroupStateReader(client);
    const a = reader.mark();
    const first = await reader.read("g", a).state;
    const b = reader.mark();
    const second = await reader.read("g", b).state;
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
    const read = reader.read("g", reader.mark());
    await expect(read.firstPage).rejects.toThrow("down");
    await expect(read.state).rejects.toThrow("down");
    expect((await reader.settled()).get("g")).toBeUndefined();
  });

  it("hands over the first page while later pages are read, and lists hooks beside the pages", async () => {
    const asked: string[] = [];
    let lastPage: (() => void) | undefined;
    const client = {
      listGroupInstances: async (id: string, onFirstPage?: (page: unknown[]) => void) => {
        asked.push("instances");
        onFirstPage?.([{ instance_id: "i-1", scaling_group_id: id }]);
        await new Promise<void>((resolve) => {
          lastPage = resolve;
        });
        return [
          { instance_id: "i-1", scaling_group_id: id },
          { instance_id: "i-2", scaling_group_id: id },
        ];
      },
      listHangingHooks: async () => {
        asked.push("hooks");
        return [];
      },
    } as unknown as AutoScalingClient;
    const reader = new GroupStateReader(client);
    const read = reader.read("g", reader.mark());
    expect((await read.firstPage).map((i) => i.instance_id)).toEqual(["i-1"]);
    // The hook list did not wait for the instance pages.
    expect(asked).toEqual(["instances", "hooks"]);
    lastPage?.();
    expect((await read.state).instances.map((i) => i.instance_id)).toEqual(["i-1", "i-2"]);
  });
});
