import { describe, expect, it } from "vitest";
import type { AutoScalingClient } from "../../src/cloud/autoscaling";
import { GroupStateReader } from "../../src/sync/group-state";

type OnPage = (fresh: unknown[]) => void;

function fakeAutoscaling(state = "INSERVICE") {
  const reads: string[] = [];
  const client = {
    readGroupInstances: async (id: string, onPage?: OnPage) => {
      reads.push(id);
      const page = [{ instance_id: `i-${reads.length}`, scaling_group_id: id, life_cycle_state: state }];
      onPage?.(page);
      return { instances: page, unidentified: 0 };
    },
    listHangingHooks: async (id: string) => {
      reads.push(`hooks ${id}`);
      return [];
    },
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
      readGroupInstances: async () => {
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

  it("lists no hooks while no instance waits on one", async () => {
    const { client, reads } = fakeAutoscaling("INSERVICE");
    const state = await new GroupStateReader(client).read("g", 0).state;
    expect(state.hooks).toEqual([]);
    expect(reads).toEqual(["g"]);
  });

  it.each(["PENDING_WAIT", "REMOVING_WAIT"])("lists the hooks once an instance is %s", async (waiting) => {
    const { client, reads } = fakeAutoscaling(waiting);
    await new GroupStateReader(client).read("g", 0).state;
    expect(reads).toEqual(["g", "hooks g"]);
  });

  it("for a lifecycle-hook message, lists the hooks at once, whatever the instances show", async () => {
    const { client, reads } = fakeAutoscaling("INSERVICE");
    await new GroupStateReader(client, true).read("g", 0).state;
    expect(reads).toEqual(["hooks g", "g"]);
  });

  it("hands over the first page while later pages are read, and starts the hook list on the page that shows a waiting instance", async () => {
    const asked: string[] = [];
    let lastPage: (() => void) | undefined;
    const client = {
      readGroupInstances: async (id: string, onPage?: OnPage) => {
        asked.push("instances page 1");
        onPage?.([{ instance_id: "i-1", scaling_group_id: id, life_cycle_state: "INSERVICE" }]);
        await new Promise<void>((resolve) => {
          lastPage = resolve;
        });
        asked.push("instances page 2");
        onPage?.([{ instance_id: "i-2", scaling_group_id: id, life_cycle_state: "PENDING_WAIT" }]);
        await new Promise<void>((resolve) => setTimeout(resolve, 5));
        asked.push("instances done");
        return {
          instances: [
            { instance_id: "i-1", scaling_group_id: id },
            { instance_id: "i-2", scaling_group_id: id },
          ],
          unidentified: 0,
        };
      },
      listHangingHooks: async () => {
        asked.push("hooks");
        return [{ instance_id: "i-2", lifecycle_hook_name: "h", scaling_group_id: "g" }];
      },
    } as unknown as AutoScalingClient;
    const reader = new GroupStateReader(client);
    const read = reader.read("g", reader.mark());
    expect((await read.firstPage).map((i) => i.instance_id)).toEqual(["i-1"]);
    expect(asked).toEqual(["instances page 1"]);
    lastPage?.();
    const state = await read.state;
    // The hook list did not wait for the last page.
    expect(asked).toEqual(["instances page 1", "instances page 2", "hooks", "instances done"]);
    expect(state.instances.map((i) => i.instance_id)).toEqual(["i-1", "i-2"]);
    expect(state.hooks.map((h) => h.instance_id)).toEqual(["i-2"]);
  });
});
