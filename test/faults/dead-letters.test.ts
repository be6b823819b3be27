/**
 * Dead letters, through the built bundles: exactly one record per action that could not be done, with
 * the contract's fields, the same record on stdout and on the dead-letter topic, a replay payload that
 * finishes the job, publish failures logged, and the throw rule (throw only when no binding could be
 * reconciled, and only for transient reasons).
 */
import { beforeEach, describe, expect, it } from "vitest";
import type { StateInput } from "../emulator";
import { emulatorForFile } from "../support/emulator-for-file";
import {
  type Binding,
  envFor,
  instance,
  invoke,
  romaChannel,
  romaGateway,
  romaInstance,
  smnEvent,
  timerEvent,
  webBinding,
  writes,
} from "../support/harness";
import {
  DEAD_LETTER_TOPIC,
  expectDeadLetterShape,
  foreignMembers,
  groupMembers,
  hanging,
  richBinding,
  richState,
  sortMembers,
  stackLines,
  topicMessages,
} from "./support";

const emu = await emulatorForFile();
beforeEach(() => {
  emu.control.reset();
});

const systemError = { status: 500, body: { error_code: "APIG.9999", error_msg: "System error" } };
const quota = {
  status: 403,
  body: {
    error_code: "APIG.3110",
    error_msg: "The number of cloud servers in the VPC channel exceeds the maximum",
  },
};

/** Two channels on roma-1 (chan-1, chan-2) with a web group each; asg-1 → chan-1, asg-2 → chan-2. */
function twoChannels(): { state: StateInput; bindings: Binding[] } {
  const channel = (id: string) =>
    romaChannel({
      id,
      members: [{ ecs_id: `foreign-${id}`, ecs_name: "foreign", member_group_name: "other" }],
    });
  return {
    state: {
      gateways: romaInstance([channel("chan-1"), channel("chan-2")]),
      scaling_groups: [
        { scaling_group_id: "asg-1", instances: [instance("a-1"), instance("a-2")] as never },
        { scaling_group_id: "asg-2", instances: [instance("b-1")] as never },
      ],
      topics: [{ topic_urn: DEAD_LETTER_TOPIC }],
    },
    bindings: [webBinding, { ...webBinding, scaling_group_id: "asg-2", vpc_channel_id: "chan-2" }],
  };
}

const membersPath = (chan: string) => `/vpc-channels/${chan}/members$`;

describe("the throw rule: throw only when no binding could be reconciled for transient reasons", () => {
  it("one binding fails transiently, the other is reconciled: resolves with one dead letter", async () => {
    const { state, bindings } = twoChannels();
    emu.control.load(state);
    emu.control.addFault({ method: "GET", path: membersPath("chan-1"), times: 0, ...systemError });
    const inv = await invoke("reconcile", timerEvent(), { env: envFor(emu, bindings) });
    expect(inv.error).toBeUndefined();
    expect(inv.summary).toMatchObject({ bindings: 2, added: 1, dead_lettered: 1 });
    expect(inv.deadLetters.map((d) => [d.action, (d.binding as Binding).scaling_group_id])).toEqual([
      ["read_members", "asg-1"],
    ]);
    expect(groupMembers(emu, "web", "roma-1", "chan-2").map((m) => m.ecs_id)).toEqual(["b-1"]);
  });

  it("one binding fails transiently, the other permanently: resolves (the platform's retry would not help)", async () => {
    const { state, bindings } = twoChannels();
    emu.control.load(state);
    emu.control.addFault([
      { method: "GET", path: membersPath("chan-1"), times: 0, ...systemError },
      { method: "POST", path: membersPath("chan-2"), times: 0, ...quota },
    ]);
    const inv = await invoke("reconcile", timerEvent(), { env: envFor(emu, bindings) });
    expect(inv.error).toBeUndefined();
    expect(inv.summary?.dead_lettered).toBe(2);
    expect(inv.deadLetters.map((d) => [d.action, (d.error as { code: string }).code]).sort()).toEqual([
      ["add_members", "APIG.3110"],
      ["read_members", "APIG.9999"],
    ]);
  });

  it("every binding fails transiently: throws, after logging every dead letter and the summary", async () => {
    const { state, bindings } = twoChannels();
    emu.control.load(state);
    emu.control.addFault({ method: "GET", path: "/members$", times: 0, ...systemError });
    const inv = await invoke("reconcile", timerEvent(), {
      env: envFor(emu, bindings, { DEAD_LETTER_TOPIC_URN: DEAD_LETTER_TOPIC }),
    });
    expect(inv.error?.name).toBe("TransientFailureError");
    expect(inv.error?.message).toMatch(/no binding could be reconciled/);
    expect(inv.error?.stack ?? "").not.toMatch(/\n\s+at /);
    expect(inv.deadLetters).toHaveLength(2);
    expect(topicMessages(emu)).toHaveLength(2);
    expect(inv.logs.some((l) => l.action === "summary")).toBe(true);
    expect(stackLines(inv)).toEqual([]);
  });

  it("an SMN event whose every record is unreadable: resolves, one parse_event record each, no call", async () => {
    const { state, bindings } = twoChannels();
    emu.control.load(state);
    const event = {
      record: [
        { event_source: "smn", smn: { message: { not: "a string" }, message_id: "m-1" } },
        { event_source: "smn" },
        "not even an object",
      ],
    };
    const inv = await invoke("scaling-events", event, { env: envFor(emu, bindings) });
    expect(inv.error).toBeUndefined();
    expect(inv.summary).toMatchObject({ bindings: 0, dead_lettered: 3 });
    expect(inv.deadLetters.map((d) => [d.action, d.binding, d.replay])).toEqual([
      ["parse_event", null, {}],
      ["parse_event", null, {}],
      ["parse_event", null, {}],
    ]);
    expect((inv.deadLetters[0]!.detail as { message_id?: string }).message_id).toBe("m-1");
    for (const d of inv.deadLetters) {
      expect(expectDeadLetterShape(d)).toEqual([]);
      expect((d.error as { message: string }).message).toMatch(/record\[\d\]/);
    }
    expect(emu.control.calls()).toEqual([]);
  });
});

describe("records", () => {
  it("several failing actions in one run: exactly one record each, on stdout and on the topic, all fields", async () => {
    emu.control.load(richState());
    emu.control.addFault([
      { method: "POST", path: membersPath("chan-1"), times: 0, ...quota },
      { method: "DELETE", times: 0, ...systemError },
      {
        method: "PUT",
        path: "/callback$",
        times: 0,
        status: 401,
        body: { error: { code: "AS.0006", message: "no" } },
      },
    ]);
    const env = envFor(emu, [richBinding], {
      DEAD_LETTER_TOPIC_URN: DEAD_LETTER_TOPIC,
      RETRY_MAX_ATTEMPTS: "2",
    });
    const inv = await invoke("scaling-events", smnEvent('{"scaling_group_id":"asg-1"}'), {
      env,
      requestId: "req-dead-letters",
    });
    // add failed (so i-3's launch hook waits, no callback is even tried), delete failed after retries.
    expect(inv.deadLetters.map((d) => d.action).sort()).toEqual(["add_members", "delete_members"]);
    for (const d of inv.deadLetters) {
      expect(expectDeadLetterShape(d)).toEqual([]);
      expect(d).toMatchObject({
        request_id: "req-dead-letters",
        function: "channel-autoscaler-test",
        binding: {
          scaling_group_id: "asg-1",
          instance_id: "roma-1",
          vpc_channel_id: "chan-1",
          member_group_name: "web",
        },
        replay: { scaling_group_ids: ["asg-1"] },
      });
    }
    const add = inv.deadLetters.find((d) => d.action === "add_members")!;
    expect(add).toMatchObject({ error: { status: 403, code: "APIG.3110" }, attempts: 1 });
    expect([...(add.instance_ids as string[])].sort()).toEqual(["i-2", "i-3"]);
    const del = inv.deadLetters.find((d) => d.action === "delete_members")!;
    expect(del).toMatchObject({
      error: { status: 500, code: "APIG.9999" },
      attempts: 2,
      instance_ids: ["gone-1"],
    });
    // The topic holds the same records, once each.
    const published = topicMessages(emu).map((m) => JSON.parse(m.message));
    expect(published).toHaveLength(2);
    expect(published).toEqual(expect.arrayContaining(inv.deadLetters));
    expect(inv.summary?.dead_lettered).toBe(2);
    // i-3 is still held by its launch hook: it is only completed once the member is registered.
    expect(hanging(emu)).toHaveLength(1);

    // Replaying the record's payload finishes the job.
    emu.control.clearFaults();
    const replay = await invoke("backfill", add.replay, { env });
    expect(replay.deadLetters).toEqual([]);
    expect(
      groupMembers(emu, "web")
        .map((m) => [m.ecs_id, m.status])
        .sort(),
    ).toEqual([
      ["i-1", 1],
      ["i-2", 1],
      ["i-3", 1],
    ]);
    expect(hanging(emu)).toEqual([]);
  });

  it("the replay payload also works as the TIMER trigger's user_event", async () => {
    emu.control.load(richState());
    emu.control.addFault({ method: "PUT", path: "/vpc-channels/chan-1/health-config$", times: 0, ...quota });
    const env = envFor(emu, [richBinding]);
    const inv = await invoke("scaling-events", smnEvent('{"scaling_group_id":"asg-1"}'), { env });
    expect(inv.deadLetters.map((d) => d.action)).toEqual(["update_channel"]);
    emu.control.clearFaults();
    const replay = await invoke("reconcile", timerEvent(JSON.stringify(inv.deadLetters[0]!.replay)), { env });
    expect(replay.deadLetters).toEqual([]);
    expect(emu.control.state().gateways[0]!.channels[0]!.vpc_health_config).toMatchObject({
      protocol: "TCP",
    });
  });

  it("a publish that fails is logged once per record, with the record's action and binding; the run resolves", async () => {
    const { state, bindings } = twoChannels();
    emu.control.load(state);
    emu.control.addFault([
      { method: "POST", path: "/members$", times: 0, ...quota },
      {
        method: "POST",
        path: "/publish$",
        times: 0,
        status: 404,
        body: { error_code: "SMN.0011", error_msg: "Topic not found" },
      },
    ]);
    const inv = await invoke("reconcile", timerEvent(), {
      env: envFor(emu, bindings, { DEAD_LETTER_TOPIC_URN: DEAD_LETTER_TOPIC }),
    });
    expect(inv.error).toBeUndefined();
    expect(inv.deadLetters).toHaveLength(2);
    const failures = inv.logs.filter((l) => l.action === "publish_dead_letter");
    expect(failures).toHaveLength(2);
    expect(
      failures
        .map((f) => [f.level, f.dead_letter_action, (f.binding as Binding).scaling_group_id, f.topic_urn])
        .sort(),
    ).toEqual([
      ["error", "add_members", "asg-1", DEAD_LETTER_TOPIC],
      ["error", "add_members", "asg-2", DEAD_LETTER_TOPIC],
    ]);
    expect(failures.every((f) => (f.error as { code: string }).code === "SMN.0011")).toBe(true);
    expect(topicMessages(emu)).toEqual([]);
  });
});

describe("bindings that share a member group", () => {
  /** asg-1 and asg-2 both feed chan-1's web group. */
  function shared(): { state: StateInput; bindings: Binding[] } {
    return {
      state: {
        gateways: romaGateway([
          { ecs_id: "foreign-1", ecs_name: "foreign-1", member_group_name: "other" },
          { ecs_id: "a-old", ecs_name: "a-old", member_group_name: "web" },
          { ecs_id: "b-old", ecs_name: "b-old", member_group_name: "web" },
        ]),
        scaling_groups: [
          { scaling_group_id: "asg-1", instances: [instance("a-1")] as never },
          { scaling_group_id: "asg-2", instances: [instance("b-1"), instance("b-2")] as never },
        ],
      },
      bindings: [webBinding, { ...webBinding, scaling_group_id: "asg-2" }],
    };
  }

  it("a failed add yields one record per binding, each with its own instances; either replay converges both", async () => {
    const { state, bindings } = shared();
    emu.control.load(state);
    const foreignBefore = sortMembers(foreignMembers(emu));
    emu.control.addFault({ method: "POST", path: membersPath("chan-1"), times: 0, ...quota });
    const inv = await invoke("scaling-events", smnEvent('{"scaling_group_id":"asg-1"}'), {
      env: envFor(emu, bindings),
    });
    const adds = inv.deadLetters.filter((d) => d.action === "add_members");
    expect(
      adds.map((d) => [
        (d.binding as Binding).scaling_group_id,
        [...(d.instance_ids as string[])].sort(),
        d.replay,
      ]),
    ).toEqual([
      ["asg-1", ["a-1"], { scaling_group_ids: ["asg-1"] }],
      ["asg-2", ["b-1", "b-2"], { scaling_group_ids: ["asg-2"] }],
    ]);
    expect(inv.deadLetters).toHaveLength(2);
    emu.control.clearFaults();
    const replay = await invoke("backfill", adds[1]!.replay, { env: envFor(emu, bindings) });
    expect(replay.deadLetters).toEqual([]);
    expect(
      groupMembers(emu, "web")
        .map((m) => m.ecs_id)
        .sort(),
    ).toEqual(["a-1", "b-1", "b-2"]);
    expect(sortMembers(foreignMembers(emu))).toEqual(foreignBefore);
  });

  it("a failed disable yields one record; its replay removes the strays of both groups", async () => {
    const { state, bindings } = shared();
    emu.control.load(state);
    emu.control.addFault({ method: "POST", path: "/batch-disable$", times: 0, ...quota });
    const inv = await invoke("scaling-events", smnEvent('{"scaling_group_id":"asg-2"}'), {
      env: envFor(emu, bindings),
    });
    expect(inv.deadLetters).toHaveLength(1);
    const record = inv.deadLetters[0]!;
    expect(record.action).toBe("disable_members");
    expect([...(record.instance_ids as string[])].sort()).toEqual(["a-old", "b-old"]);
    // Nothing that still takes traffic was deleted without being disabled first.
    expect(
      groupMembers(emu, "web")
        .filter((m) => m.ecs_id?.endsWith("-old"))
        .map((m) => m.status),
    ).toEqual([1, 1]);
    expect(writes(emu).some((c) => c.method === "DELETE")).toBe(false);
    emu.control.clearFaults();
    await invoke("backfill", record.replay, { env: envFor(emu, bindings) });
    expect(
      groupMembers(emu, "web")
        .map((m) => m.ecs_id)
        .sort(),
    ).toEqual(["a-1", "b-1", "b-2"]);
  });
});

describe("dead letters larger than an SMN message (256 KB)", () => {
  const limit = 256 * 1024;
  const published = () =>
    topicMessages(emu).map((m) => {
      expect(Buffer.byteLength(m.message, "utf8")).toBeLessThanOrEqual(limit);
      return JSON.parse(m.message) as Record<string, unknown>;
    });

  it("a record naming thousands of instances is published in parts that each fit, with every id once", async () => {
    emu.control.setOptions({ memberQuota: 20_000 });
    // 6,000 strays with 64-character ids: one batch-disable of all of them, refused for good.
    const strays = Array.from({ length: 6_000 }, (_, i) => ({
      ecs_id: `stray-${String(i).padStart(58, "0")}`,
      ecs_name: `stray-${i}`,
      member_group_name: "web",
    }));
    emu.control.load({
      gateways: romaGateway(strays),
      scaling_groups: [{ scaling_group_id: "asg-1", instances: [] }],
      topics: [{ topic_urn: DEAD_LETTER_TOPIC }],
    });
    emu.control.addFault({
      method: "POST",
      path: "/batch-disable$",
      times: 0,
      status: 400,
      body: { error_code: "APIG.2012", error_msg: "Invalid parameter value,parameterName:member_ids" },
    });
    const inv = await invoke("reconcile", timerEvent(), {
      env: envFor(emu, [webBinding], { DEAD_LETTER_TOPIC_URN: DEAD_LETTER_TOPIC }),
    });
    expect(inv.error).toBeUndefined();
    expect(inv.deadLetters).toHaveLength(1);
    const record = inv.deadLetters[0]!;
    expect(record.instance_ids).toHaveLength(6_000);
    expect(inv.logs.filter((l) => l.action === "publish_dead_letter")).toEqual([]);
    const parts = published();
    expect(parts.length).toBeGreaterThan(1);
    const { instance_ids: _ids, detail: _d, ...rest } = record;
    for (const [i, p] of parts.entries()) {
      expect(p).toMatchObject({ ...rest, detail: { part: `${i + 1}/${parts.length}` } });
      expect((p.detail as { full_record: string }).full_record).toContain(String(record.request_id));
    }
    expect(parts.flatMap((p) => p.instance_ids as string[])).toEqual(record.instance_ids);
    // One record, delivered whole: its fate is counted once.
    expect(inv.logs.find((l) => l.action === "summary")?.dead_letter_delivery).toEqual({
      published: 1,
      refused: 0,
      unconfirmed: 0,
    });
    // Nothing was lost: the strays are still there, enabled, for the next run.
    expect(groupMembers(emu, "web")).toHaveLength(6_000);
  });

  it("a record whose free text alone is too large is trimmed, pointing at the full log line", async () => {
    const { state, bindings } = twoChannels();
    emu.control.load(state);
    const hugeId = "界".repeat(100_000); // 300 KB of UTF-8 in an unreadable record's message_id
    const event = smnEvent(JSON.stringify({ scaling_group_id: "asg-1" }));
    (event.record as unknown[]).push({ event_source: "smn", smn: { message: 42, message_id: hugeId } });
    const inv = await invoke("scaling-events", event, {
      env: envFor(emu, bindings, { DEAD_LETTER_TOPIC_URN: DEAD_LETTER_TOPIC }),
    });
    expect(inv.error).toBeUndefined();
    const record = inv.deadLetters.find((d) => d.action === "parse_event")!;
    // The log line is the whole record.
    expect((record.detail as { message_id: string }).message_id).toBe(hugeId);
    expect(inv.logs.filter((l) => l.action === "publish_dead_letter")).toEqual([]);
    const [part] = published();
    expect(part).toMatchObject({
      action: "parse_event",
      request_id: record.request_id,
      time: record.time,
      error: record.error,
      detail: { trimmed: true, full_record: expect.stringContaining(String(record.time)) },
    });
    expect((part!.detail as { message_id: string }).message_id.length).toBeLessThan(2_000);
  });
});
