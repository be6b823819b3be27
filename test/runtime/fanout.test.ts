import { describe, expect, it } from "vitest";
import { BindingSchema } from "../../src/config/schema";
import { shardGroups } from "../../src/runtime/fanout";

const b = (group: string, channel: string, memberGroup = "web") =>
  BindingSchema().parse({
    scaling_group_id: group,
    instance_id: "roma-1",
    vpc_channel_id: channel,
    member_group_name: memberGroup,
  });

describe("shardGroups", () => {
  it("packs independent bindings into shards of the given size, in order", () => {
    const bindings = ["g1", "g2", "g3", "g4", "g5"].map((g, i) => b(g, `c${i}`));
    expect(shardGroups(bindings, 2)).toEqual([["g1", "g2"], ["g3", "g4"], ["g5"]]);
  });

  it("keeps every binding of one channel in one shard", () => {
    const bindings = [b("g1", "c1"), b("g2", "c2"), b("g3", "c1", "blue"), b("g4", "c3"), b("g2", "c4")];
    const shards = shardGroups(bindings, 2);
    const shardOf = (g: string) => shards.findIndex((s) => s.includes(g));
    expect(shardOf("g1")).toBe(shardOf("g3"));
    expect(shards.flat().sort()).toEqual(["g1", "g2", "g3", "g4"]);
  });

  it("gives a component larger than a shard a shard of its own", () => {
    const bindings = [b("g1", "c1"), b("g2", "c1", "blue2"), b("g3", "c1", "blue3"), b("g4", "c2")];
    expect(shardGroups(bindings, 2)).toEqual([["g1", "g2", "g3"], ["g4"]]);
  });
});
