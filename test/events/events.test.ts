import { describe, expect, it } from "vitest";
import { InputError } from "../../src/events/errors";
import { MAX_HINTS_PER_LIST, namesLifecycleHook, readMessage } from "../../src/events/message";
import { readEvent } from "../../src/events/read";
import hookSample from "../fixtures/as-lifecycle-hook-message.json";

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

  it("reconciles every binding when a message names no group at all", () => {
    const s = readEvent("scaling-events", smn("something happened"), known);
    expect(s.groups).toBe("all");
    expect(s.warnings).toEqual([]);
  });

  it("does nothing for a message that names only groups without a binding, and says so", () => {
    const s = readEvent("scaling-events", smn('{"scaling_group_id":"other"}'), known);
    expect(s.groups).toEqual([]);
    expect(s.warnings).toEqual([
      "the event names only scaling groups that no binding has (other): nothing to do for it",
    ]);
    // Another record naming a bound group still selects it; one naming nothing still selects all.
    expect(
      readEvent("scaling-events", smn('{"scaling_group_id":"other"}', '{"scaling_group_id":"asg-2"}'), known)
        .groups,
    ).toEqual(["asg-2"]);
    expect(readEvent("scaling-events", smn('{"scaling_group_id":"other"}', "hello"), known).groups).toBe(
      "all",
    );
  });

  it("reconciles every binding when a message names more groups than a hint list keeps", () => {
    // The cap could have dropped one of ours (asg-2 comes last), so the message cannot be trusted to
    // name only unbound groups.
    const ids = Array.from({ length: MAX_HINTS_PER_LIST }, (_, i) => `other-${i}`);
    const s = readEvent(
      "scaling-events",
      smn(JSON.stringify({ scaling_group_id: [...ids, "asg-2"] })),
      known,
    );
    expect(s.groups).toBe("all");
    expect(s.warnings).toEqual([]);
  });

  it("reads smn.subject as a hint when the message names no group", () => {
    const event = smn("instances changed");
    event.record[0]!.smn.subject = "Scaling group asg-2: scale-out done";
    expect(readEvent("scaling-events", event, known).groups).toEqual(["asg-2"]);
    // The message wins when it names a group.
    const named = smn('{"scaling_group_id":"asg-1"}');
    named.record[0]!.smn.subject = "scaling_group_id: asg-2";
    expect(readEvent("scaling-events", named, known).groups).toEqual(["asg-1"]);
  });

  it("reads AS's documented lifecycle-hook message as its structured fields, and selects only its group", () => {
    // The sample of the AS user guide ("Lifecycle hooks", notification topic), unchanged.
    const sample = hookSample;
    const group = sample.scaling_group.scaling_group_id;
    expect(readMessage(JSON.stringify(sample), [group, "asg-1"])).toEqual({
      scalingGroupIds: [group],
      instanceIds: ["89b421e4-5fa6-4733-bf40-6b07a8657256"],
      lifecycleActionKeys: ["4c76c562-9688-45c6-b685-7fd732df310a"],
      lifecycleHookNames: ["test02"],
      lifecycleHookTypes: ["INSTANCE_LAUNCHING"],
    });
    // Only the documented fields count: a bound group's id elsewhere in the message selects nothing.
    const noisy = { ...sample, notification_metadata: "drain like asg-1" };
    expect(readEvent("scaling-events", smn(JSON.stringify(noisy)), [group, "asg-1"]).groups).toEqual([group]);
    // A hook of a group without a binding: nothing to do.
    expect(readEvent("scaling-events", smn(JSON.stringify(sample)), known)).toMatchObject({
      groups: [],
      warnings: [expect.stringContaining(group)],
    });
  });

  it("marks unreadable records and still reads the others", () => {
    const event = smn('{"scaling_group_id":"asg-1"}');
    event.record.push({ event_source: "smn", smn: { message: 42 } } as never, "garbage" as never);
    const s = readEvent("scaling-events", event, known);
    expect(s.groups).toEqual(["asg-1"]);
    expect(s.unreadable.map((u) => u.index)).toEqual([1, 2]);
    expect(s.unreadable[0]!.reason).toMatch(/record\[1\]\.smn\.message/);
  });

  it("reads keys like constructor, __proto__ and toString as data, never as the hint table's own", () => {
    for (const key of [
      "constructor",
      "__proto__",
      "toString",
      "hasOwnProperty",
      "valueOf",
      "isPrototypeOf",
    ]) {
      const message = `{"${key}": "x", "deep": {"${key}": ["asg-9"]}, "scaling_group_id": "asg-1"}`;
      const s = readEvent("scaling-events", smn(message), known);
      expect(s.groups).toEqual(["asg-1"]);
      expect(s.unreadable).toEqual([]);
    }
  });

  it("turns a record that breaks its reading in an unforeseen way into an unreadable record; the others run", () => {
    const event = smn('{"scaling_group_id":"asg-1"}', '{"scaling_group_id":"asg-2"}');
    // A record object whose reading throws (a getter): no JSON text makes one, so it stands for any bug.
    Object.defineProperty(event.record[0], "smn", {
      get() {
        throw new TypeError("Cannot read properties of undefined");
      },
    });
    const s = readEvent("scaling-events", event, known);
    expect(s.groups).toEqual(["asg-2"]);
    expect(s.unreadable).toEqual([
      { index: 0, reason: "record[0] could not be read: Cannot read properties of undefined" },
    ]);
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

  it.each([
    // FunctionGraph's own TIMER example event (Node.js runtime samples, fg-timer-event).
    ["JSON that is not a backfill payload", '{"message": "timer triggered event", "topic":"test"}'],
    ["free text", "Hello world"],
    ["text that starts with { but is not JSON", "{nightly repair}"],
    ["a JSON array", '["asg-1"]'],
  ])("reads a TIMER user_event holding %s as a note: every binding, with a warning", (_, userEvent) => {
    const s = readEvent("reconcile", { trigger_type: "TIMER", user_event: userEvent }, known);
    expect(s.groups).toBe("all");
    expect(s.dryRun).toBe(false);
    expect(s.warnings).toEqual([
      expect.stringMatching(/^TIMER user_event is a note, not a backfill payload/),
    ]);
  });

  it("keeps an empty TIMER user_event silent", () => {
    expect(readEvent("reconcile", { trigger_type: "TIMER", user_event: " " }, known)).toMatchObject({
      groups: "all",
      warnings: [],
    });
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
      { trigger_type: "TIMER", user_event: '{"scaling_group_ids": [' },
      /user_event starts with \{ but is not valid JSON/,
    ],
    [
      "reconcile",
      { trigger_type: "TIMER", user_event: '{"dry_run": true, "scaling_group_id": "asg-1"}' },
      /user_event: Unrecognized key: "scaling_group_id"/,
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

describe("namesLifecycleHook", () => {
  it("is true for AS's lifecycle-hook message, false for a scaling notification", () => {
    const group = hookSample.scaling_group.scaling_group_id;
    expect(
      namesLifecycleHook(readEvent("scaling-events", smn(JSON.stringify(hookSample)), [group]).hints),
    ).toBe(true);
    const notice = { scaling_group_id: "asg-1", instance_id: "i-1", activity: "scale out" };
    expect(namesLifecycleHook(readEvent("scaling-events", smn(JSON.stringify(notice)), known).hints)).toBe(
      false,
    );
  });
});
