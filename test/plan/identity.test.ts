import { describe, expect, it } from "vitest";
import {
  type BindingRef,
  bindingLabel,
  bindingLabels,
  channelKey,
  isRecordedAs,
  selectBindings,
  targetKey,
} from "../../src/plan/identity";

const binding = (scaling_group_id: string, over: Partial<BindingRef> = {}): BindingRef => ({
  gateway: "roma",
  instance_id: "roma-1",
  vpc_channel_id: "chan-1",
  member_group_name: "web",
  scaling_group_id,
  ...over,
});

describe("the keys channels, targets and bindings are known by", () => {
  it("name the gateway, instance, channel, member group and group in that order", () => {
    const b = binding("asg-1", { gateway: "apig" });
    expect(channelKey(b)).toBe("apig/roma-1/chan-1");
    expect(targetKey(b)).toBe("apig/roma-1/chan-1/web");
    expect(bindingLabel(b)).toBe("asg-1@apig/roma-1/chan-1/web");
    expect(bindingLabels([b, binding("asg-2")])).toBe(
      "asg-1@apig/roma-1/chan-1/web,asg-2@roma/roma-1/chan-1/web",
    );
  });
});

describe("isRecordedAs", () => {
  const recorded = {
    scaling_group_id: "asg-1",
    instance_id: "roma-1",
    vpc_channel_id: "chan-1",
    member_group_name: "web",
  };

  it("matches a dead letter's binding on every field it records, the gateway aside", () => {
    expect(isRecordedAs(binding("asg-1"), recorded)).toBe(true);
    expect(isRecordedAs(binding("asg-1", { gateway: "apig" }), recorded)).toBe(true);
  });

  it.each([
    ["scaling_group_id", "asg-2"],
    ["instance_id", "roma-2"],
    ["vpc_channel_id", "chan-2"],
    ["member_group_name", "api"],
  ])("does not match when %s differs", (field, value) => {
    expect(isRecordedAs(binding("asg-1"), { ...recorded, [field]: value })).toBe(false);
  });
});

describe("selectBindings", () => {
  const web1 = binding("asg-1");
  const web2 = binding("asg-2");
  const api = binding("asg-3", { member_group_name: "api" });
  const otherChannel = binding("asg-4", { vpc_channel_id: "chan-2" });
  const all = [web1, web2, api, otherChannel];

  it("takes the named groups and every binding that shares a target with them", () => {
    expect(selectBindings(all, ["asg-2"])).toEqual([web1, web2]);
    expect(selectBindings(all, ["asg-3", "asg-4"])).toEqual([api, otherChannel]);
    expect(selectBindings(all, ["asg-9"])).toEqual([]);
  });

  it("takes every binding for all", () => {
    const every = selectBindings(all, "all");
    expect(every).toEqual(all);
    expect(every).not.toBe(all);
  });
});
