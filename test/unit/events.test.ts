import { describe, expect, it } from "vitest";
import { InputError } from "../../src/events/errors";
import { MAX_HINTS_PER_LIST, readMessage } from "../../src/events/message";
import { readEvent } from "../../src/events/read";

const known = ["asg-1", "asg-2"];
const smn = (...messages: unknown[]) => ({
  record: messages.map((message, i) => ({
    event_source: "smn",
    smn: {
      message,
      subject: "AS",
      topic_urn: "urn:smn:x:p:t",
      message_id: `m${i}`,
      timestamp: "t",
      type: "notification",
    },
  })),
  functionname: "f",
});

describe("readMessage", () => {
  it.each([
    ["flat JSON", JSON.stringify({ scaling_group_id: "asg-1", instance_id: "i-1" })],
    ["camel case", JSON.stringify({ ScalingGroupId: "asg-1", InstanceId: "i-1" })],
    [
      "nested",
      JSON.stringify({ body: { detail: [{ scalingGroupID: "asg-1", instance: { instance_id: "i-1" } }] } }),
    ],
    [
      "JSON string inside JSON",
      JSON.stringify({ message: JSON.stringify({ scaling_group_id: "asg-1", instance_id: "i-1" }) }),
    ],
    ["plain text pairs", "Scaling out: scaling_group_id=asg-1 instance_id: i-1 done"],
  ])("finds group and instance in %s", (_, message) => {
    const hints = readMessage(message, known);
    expect(hints.scalingGroupIds).toEqual(["asg-1"]);
    expect(hints.instanceIds).toEqual(["i-1"]);
  });

  it("finds a known group id mentioned in prose", () => {
    expect(readMessage("The AS group asg-2 added 2 instances", known).scalingGroupIds).toEqual(["asg-2"]);
  });

  it("reads hook keys", () => {
    const hints = readMessage(
      JSON.stringify({
        lifecycle_action_key: "k-1",
        lifecycle_hook_name: "launch",
        scaling_group_id: "asg-1",
      }),
      known,
    );
    expect(hints.lifecycleActionKeys).toEqual(["k-1"]);
    expect(hints.lifecycleHookNames).toEqual(["launch"]);
  });

  it("survives deep nesting without blowing the stack", () => {
    const text = `${'{"a":'.repeat(5000)}{"scaling_group_id":"asg-1"}${"}".repeat(5000)}`;
    // Too deep to walk to the end: the walk stops, and the known id is still found in the text.
    expect(readMessage(text, known).scalingGroupIds).toEqual(["asg-1"]);
  });
});

describe("readEvent", () => {
  it("selects the groups an SMN message names", () => {
    const s = readEvent("scaling-events", smn(JSON.stringify({ scaling_group_id: "asg-2" })), known);
    expect(s.groups).toEqual(["asg-2"]);
    expect(s.dryRun).toBe(false);
  });

  it("handles every record", () => {
    const s = readEvent(
      "scaling-events",
      smn('{"scaling_group_id":"asg-1"}', '{"scaling_group_id":"asg-2"}'),
      known,
    );
    expect(s.groups).toEqual(["asg-1", "asg-2"]);
  });

  it("reconciles every binding when a message names no known group", () => {
    expect(readEvent("scaling-events", smn("something happened"), known).groups).toBe("all");
    expect(readEvent("scaling-events", smn('{"scaling_group_id":"other"}'), known).groups).toBe("all");
  });

  it("marks unreadable records and still reads the others", () => {
    const event = smn('{"scaling_group_id":"asg-1"}');
    event.record.push({ event_source: "smn", smn: { message: 42 } } as never, "garbage" as never);
    const s = readEvent("scaling-events", event, known);
    expect(s.groups).toEqual(["asg-1"]);
    expect(s.unreadable.map((u) => u.index)).toEqual([1, 2]);
    expect(s.unreadable[0]!.reason).toMatch(/record\[1\]\.smn\.message/);
  });

  it("accepts the event as a JSON string", () => {
    expect(
      readEvent("scaling-events", JSON.stringify(smn('{"scaling_group_id":"asg-1"}')), known).groups,
    ).toEqual(["asg-1"]);
  });

  it("reads TIMER events, with an optional backfill payload in user_event", () => {
    const timer = {
      version: "v1.0",
      time: "t",
      trigger_type: "TIMER",
      trigger_name: "tick",
      user_event: "hello",
    };
    expect(readEvent("reconcile", timer, known).groups).toBe("all");
    const s = readEvent(
      "reconcile",
      { ...timer, user_event: '{"scaling_group_ids":["asg-1"],"dry_run":true}' },
      known,
    );
    expect(s.groups).toEqual(["asg-1"]);
    expect(s.dryRun).toBe(true);
  });

  it("reads backfill payloads", () => {
    expect(readEvent("backfill", {}, known).groups).toBe("all");
    expect(
      readEvent("backfill", { scaling_group_ids: ["asg-1", "asg-1"], dry_run: true }, known),
    ).toMatchObject({
      groups: ["asg-1"],
      dryRun: true,
    });
  });

  it.each([
    ["scaling-events", 42, /must be a JSON object, got a number/],
    ["scaling-events", [], /must be a JSON object, got an array/],
    ["scaling-events", "not json", /text that is not JSON/],
    ["scaling-events", { hello: 1 }, /not an SMN trigger event: record: missing/],
    ["scaling-events", { record: [] }, /record is empty/],
    ["scaling-events", { record: "x" }, /record must be an array/],
    ["backfill", { scaling_group_ids: "asg-1" }, /scaling_group_ids/],
    ["backfill", { dry_run: "yes" }, /dry_run/],
    ["backfill", { group: ["asg-1"] }, /group/],
    [
      "reconcile",
      { trigger_type: "TIMER", user_event: "{bad" },
      /user_event starts with \{ but is not valid JSON/,
    ],
    ["reconcile", { trigger_type: "TIMER", user_event: '{"dry_run":1}' }, /user_event\.dry_run/],
  ] as const)("%s rejects %j with a message naming the problem", (kind, event, message) => {
    expect(() => readEvent(kind, event, known)).toThrow(InputError);
    expect(() => readEvent(kind, event, known)).toThrow(message);
  });
});

describe("hint lists stay linear in the message and bounded", () => {
  it("100,000 instance_id pairs, half of them repeats: each value once, at most MAX_HINTS_PER_LIST", () => {
    const text = Array.from({ length: 100_000 }, (_, i) => `instance_id=i-${i % 50_000}`).join(" ");
    const hints = readMessage(`scaling_group_id: asg-1 ${text}`, ["asg-1"]);
    expect(hints.instanceIds).toHaveLength(MAX_HINTS_PER_LIST);
    expect(new Set(hints.instanceIds).size).toBe(MAX_HINTS_PER_LIST);
    expect(hints.instanceIds.slice(0, 3)).toEqual(["i-0", "i-1", "i-2"]);
    expect(hints.scalingGroupIds).toEqual(["asg-1"]);
  });

  it("the same across the records of one SMN event", () => {
    const record = (from: number) =>
      JSON.stringify({
        scaling_group_id: "asg-1",
        instances: Array.from({ length: 800 }, (_, i) => ({ instance_id: `i-${from + i}` })),
      });
    const selection = readEvent(
      "scaling-events",
      { record: [0, 400, 800].map((from) => ({ smn: { message: record(from) } })) },
      ["asg-1"],
    );
    expect(selection.groups).toEqual(["asg-1"]);
    expect(selection.hints.instanceIds).toHaveLength(MAX_HINTS_PER_LIST);
    expect(new Set(selection.hints.instanceIds).size).toBe(MAX_HINTS_PER_LIST);
  });
});
