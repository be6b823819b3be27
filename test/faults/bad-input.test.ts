/**
 * Bad input corpus: malformed events and configurations, each through a built bundle against the
 * emulator. Every one must get a clear error naming the problem (as the invocation's error, or as a
 * dead letter when the contract says the rest of the event still runs), no stack trace in any log line,
 * no oversized echo of the input, and no write.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { emulatorForFile } from "../support/emulator-for-file";
import {
  type Binding,
  baseState,
  envFor,
  type FunctionName,
  instance,
  invoke,
  smnEvent,
  timerEvent,
  webBinding,
  writes,
} from "../support/harness";
import { stackLines } from "./support";

const emu = await emulatorForFile();
beforeEach(() => {
  emu.control.reset();
  // Converged: a run that gets through would make no write, so any write is the input's doing.
  emu.control.load(
    baseState({
      instances: [instance("i-1")],
      members: [
        { ecs_id: "i-1", ecs_name: "web-i-1", member_group_name: "web" },
        { ecs_id: "foreign-1", ecs_name: "foreign-1", member_group_name: "other", weight: 3 },
      ],
    }),
  );
});

interface BadCase {
  name: string;
  fn: FunctionName;
  event: unknown;
  /** BINDINGS to use (default [webBinding]); a string is used as is. */
  bindings?: unknown;
  /** Environment overrides; undefined removes the key. */
  env?: Record<string, string | undefined>;
  /** What the error (or the dead letter's error message) must say. */
  says: RegExp;
  /**
   * throw: the invocation fails with that message and makes no call at all.
   * dead_letter: the invocation resolves and the problem is a dead letter (no write).
   */
  outcome?: "throw" | "dead_letter";
}

const nest = (depth: number, leaf: unknown = 1): unknown => {
  let v: unknown = leaf;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
};
const nestObject = (depth: number): unknown => {
  let v: unknown = "x";
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
};
const smnRecord = (smn: unknown) => ({ event_source: "smn", smn });

const EVENTS: BadCase[] = [
  // Not an event at all.
  {
    name: "text that is not JSON",
    fn: "scaling-events",
    event: "scale out {",
    says: /event is text that is not JSON/,
  },
  {
    name: "5 MB of text that is not JSON",
    fn: "reconcile",
    event: `{${"x".repeat(5_000_000)}`,
    says: /event is text that is not JSON/,
  },
  {
    name: "a Buffer that is not JSON",
    fn: "backfill",
    event: Buffer.from([0xff, 0xfe, 0x00, 0x7b]),
    says: /not JSON/,
  },
  { name: "a number", fn: "scaling-events", event: 42, says: /must be a JSON object, got a number/ },
  { name: "a boolean", fn: "reconcile", event: true, says: /must be a JSON object, got a boolean/ },
  { name: "an array", fn: "backfill", event: [{ scaling_group_ids: ["asg-1"] }], says: /got an array/ },
  { name: "JSON text of an array", fn: "scaling-events", event: "[1,2,3]", says: /got an array/ },
  // SMN envelope.
  {
    name: "SMN: no record",
    fn: "scaling-events",
    event: {},
    says: /not an SMN trigger event: record: missing/,
  },
  {
    name: "SMN: record is a string",
    fn: "scaling-events",
    event: { record: "x" },
    says: /record must be an array/,
  },
  {
    name: "SMN: record is null",
    fn: "scaling-events",
    event: { record: null },
    says: /record must be an array/,
  },
  { name: "SMN: record is empty", fn: "scaling-events", event: { record: [] }, says: /record is empty/ },
  {
    name: "SMN: record nested 5,000 arrays deep",
    fn: "scaling-events",
    event: { record: nest(5_000) },
    says: /record\[0\]/,
    outcome: "dead_letter",
  },
  {
    name: "SMN: JSON text with record nested 100,000 arrays deep",
    fn: "scaling-events",
    event: `{"record":${"[".repeat(100_000)}${"]".repeat(100_000)}}`,
    says: /record\[0\]/,
    outcome: "dead_letter",
  },
  // SMN records that cannot be read: dead-lettered, the others still run.
  {
    name: "SMN: record without smn",
    fn: "scaling-events",
    event: { record: [{ event_source: "smn" }] },
    says: /record\[0\]\.smn/,
    outcome: "dead_letter",
  },
  {
    name: "SMN: message is a number",
    fn: "scaling-events",
    event: { record: [smnRecord({ message: 42, message_id: "m" })] },
    says: /record\[0\]\.smn\.message: smn\.message must be a string/,
    outcome: "dead_letter",
  },
  {
    name: "SMN: message is an object",
    fn: "scaling-events",
    event: { record: [smnRecord({ message: { scaling_group_id: "asg-1" } })] },
    says: /record\[0\]\.smn\.message/,
    outcome: "dead_letter",
  },
  {
    name: "SMN: a good record and a bad one",
    fn: "scaling-events",
    event: { record: [...smnEvent('{"scaling_group_id":"asg-1"}').record, "garbage"] },
    says: /record\[1\]/,
    outcome: "dead_letter",
  },
  {
    name: "SMN: 2,000 unreadable records",
    fn: "scaling-events",
    event: { record: Array.from({ length: 2_000 }, (_, i) => smnRecord({ message: i })) },
    says: /record\[1999\]\.smn\.message/,
    outcome: "dead_letter",
  },
  // TIMER.
  {
    name: "TIMER: wrong trigger_type",
    fn: "reconcile",
    event: { ...timerEvent(), trigger_type: "CRON" },
    says: /invalid TIMER event: trigger_type/,
  },
  {
    name: "TIMER: user_event is a number",
    fn: "reconcile",
    event: { ...timerEvent(), user_event: 5 },
    says: /invalid TIMER event: user_event/,
  },
  {
    name: "TIMER: user_event is broken JSON",
    fn: "reconcile",
    event: timerEvent('{"scaling_group_ids": ['),
    says: /user_event starts with \{ but is not valid JSON/,
  },
  {
    name: "TIMER: user_event ids is a string",
    fn: "reconcile",
    event: timerEvent('{"scaling_group_ids":"asg-1"}'),
    says: /invalid backfill payload: user_event\.scaling_group_ids/,
  },
  {
    name: "TIMER: user_event names an unknown group",
    fn: "reconcile",
    event: timerEvent('{"scaling_group_ids":["asg-404"]}'),
    says: /unknown scaling_group_ids: "asg-404"/,
  },
  {
    name: "TIMER: user_event nested 2,000 objects deep",
    fn: "reconcile",
    event: timerEvent(JSON.stringify({ dry_run: true, ...(nestObject(2_000) as object) })),
    says: /invalid backfill payload: .*Unrecognized key.*"a"/,
  },
  // Backfill.
  {
    name: "backfill: ids is a string",
    fn: "backfill",
    event: { scaling_group_ids: "asg-1" },
    says: /invalid backfill payload: scaling_group_ids/,
  },
  {
    name: "backfill: ids are numbers",
    fn: "backfill",
    event: { scaling_group_ids: [1, 2] },
    says: /scaling_group_ids\.0/,
  },
  {
    name: "backfill: ids is null",
    fn: "backfill",
    event: { scaling_group_ids: null },
    says: /scaling_group_ids/,
  },
  {
    name: "backfill: empty id",
    fn: "backfill",
    event: { scaling_group_ids: [""] },
    says: /must not be empty/,
  },
  {
    name: "backfill: id of 200 characters",
    fn: "backfill",
    event: { scaling_group_ids: ["g".repeat(200)] },
    says: /longer than 64 characters/,
  },
  {
    name: "backfill: 5,000 ids",
    fn: "backfill",
    event: { scaling_group_ids: Array.from({ length: 5_000 }, (_, i) => `asg-${i}`) },
    says: /lists more than 1000 groups/,
  },
  {
    name: "backfill: unknown ids",
    fn: "backfill",
    event: { scaling_group_ids: ["asg-1", "nope", "zzz"] },
    says: /unknown scaling_group_ids: "nope", "zzz"/,
  },
  { name: "backfill: dry_run is a string", fn: "backfill", event: { dry_run: "yes" }, says: /dry_run/ },
  {
    name: "backfill: misspelt key",
    fn: "backfill",
    event: { scaling_groups: ["asg-1"] },
    says: /Unrecognized key.*scaling_groups/,
  },
  {
    name: "backfill: ids nested 5,000 arrays deep",
    fn: "backfill",
    event: { scaling_group_ids: nest(5_000, "asg-1") },
    says: /scaling_group_ids\.0/,
  },
];

const CONFIGS: BadCase[] = [
  {
    name: "BINDINGS missing",
    fn: "reconcile",
    event: timerEvent(),
    env: { BINDINGS: undefined },
    says: /BINDINGS: is required/,
  },
  {
    name: "BINDINGS not JSON",
    fn: "reconcile",
    event: timerEvent(),
    bindings: "[{",
    says: /BINDINGS: is not valid JSON/,
  },
  {
    name: "BINDINGS 2 MB of junk",
    fn: "reconcile",
    event: timerEvent(),
    bindings: `[${"z".repeat(2_000_000)}]`,
    says: /BINDINGS: is not valid JSON/,
  },
  {
    name: "BINDINGS an object",
    fn: "reconcile",
    event: timerEvent(),
    bindings: { ...webBinding },
    says: /BINDINGS: .*array/,
  },
  {
    name: "BINDINGS empty",
    fn: "reconcile",
    event: timerEvent(),
    bindings: [],
    says: /BINDINGS: must list at least one binding/,
  },
  {
    name: "BINDINGS nested 100,000 arrays deep",
    fn: "reconcile",
    event: timerEvent(),
    bindings: `${"[".repeat(100_000)}${JSON.stringify(webBinding)}${"]".repeat(100_000)}`,
    says: /BINDINGS\[0\]/,
  },
  {
    name: "binding without scaling_group_id",
    fn: "reconcile",
    event: timerEvent(),
    bindings: [{ ...webBinding, scaling_group_id: undefined }],
    says: /BINDINGS\[0\]\.scaling_group_id/,
  },
  {
    name: "weight is a string",
    fn: "reconcile",
    event: timerEvent(),
    bindings: [{ ...webBinding, weight: "10" }],
    says: /BINDINGS\[0\]\.weight/,
  },
  {
    name: "weight out of range",
    fn: "reconcile",
    event: timerEvent(),
    bindings: [{ ...webBinding, weight: 10_001 }],
    says: /BINDINGS\[0\]\.weight/,
  },
  {
    name: "vpc_channel_id with a path",
    fn: "scaling-events",
    event: smnEvent("x"),
    bindings: [{ ...webBinding, vpc_channel_id: "../../chan-1" }],
    says: /BINDINGS\[0\]\.vpc_channel_id: must be a VPC channel id/,
  },
  {
    name: "vpc_channel_id with a query",
    fn: "reconcile",
    event: timerEvent(),
    bindings: [{ ...webBinding, vpc_channel_id: "chan-1?x=1" }],
    says: /BINDINGS\[0\]\.vpc_channel_id/,
  },
  {
    name: "vpc_channel_id a number",
    fn: "reconcile",
    event: timerEvent(),
    bindings: [{ ...webBinding, vpc_channel_id: 12345 }],
    says: /BINDINGS\[0\]\.vpc_channel_id/,
  },
  {
    name: "empty instance_id",
    fn: "reconcile",
    event: timerEvent(),
    bindings: [{ ...webBinding, instance_id: "" }],
    says: /BINDINGS\[0\]\.instance_id/,
  },
  {
    name: "member_group_name too short",
    fn: "reconcile",
    event: timerEvent(),
    bindings: [{ ...webBinding, member_group_name: "ab" }],
    says: /BINDINGS\[0\]\.member_group_name/,
  },
  {
    name: "unknown gateway kind",
    fn: "reconcile",
    event: timerEvent(),
    bindings: [{ ...webBinding, gateway: "kong" }],
    says: /BINDINGS\[0\]\.gateway/,
  },
  {
    name: "negative drain_seconds",
    fn: "reconcile",
    event: timerEvent(),
    bindings: [{ ...webBinding, drain_seconds: -1 }],
    says: /BINDINGS\[0\]\.drain_seconds/,
  },
  {
    name: "misspelt binding field",
    fn: "reconcile",
    event: timerEvent(),
    bindings: [{ ...webBinding, weigth: 5 }],
    says: /BINDINGS\[0\].*Unrecognized key.*weigth/,
  },
  {
    name: "duplicate bindings",
    fn: "reconcile",
    event: timerEvent(),
    bindings: [webBinding, webBinding],
    says: /BINDINGS\[1\]: duplicates binding 0/,
  },
  {
    name: "shared member group, different weights",
    fn: "reconcile",
    event: timerEvent(),
    bindings: [webBinding, { ...webBinding, scaling_group_id: "asg-2", weight: 9 }],
    says: /BINDINGS\[1\]\.weight: differs from binding 0/,
  },
  {
    name: "health check timeout not below interval",
    fn: "reconcile",
    event: timerEvent(),
    bindings: [
      {
        ...webBinding,
        health_check: {
          protocol: "TCP",
          threshold_normal: 2,
          threshold_abnormal: 2,
          time_interval: 5,
          timeout: 5,
        },
      },
    ],
    says: /BINDINGS\[0\]\.health_check\.timeout: must be less than time_interval/,
  },
  {
    name: "HTTP health check without path",
    fn: "reconcile",
    event: timerEvent(),
    bindings: [
      {
        ...webBinding,
        health_check: {
          protocol: "HTTP",
          http_code: "200",
          threshold_normal: 2,
          threshold_abnormal: 2,
          time_interval: 10,
          timeout: 5,
        },
      },
    ],
    says: /BINDINGS\[0\]\.health_check\.path: is required/,
  },
  {
    name: "no project id",
    fn: "reconcile",
    event: timerEvent(),
    env: { HUAWEICLOUD_SDK_PROJECT_ID: undefined },
    says: /HUAWEICLOUD_SDK_PROJECT_ID: is required/,
  },
  {
    name: "project id with a path",
    fn: "reconcile",
    event: timerEvent(),
    env: { HUAWEICLOUD_SDK_PROJECT_ID: "proj/../other" },
    says: /HUAWEICLOUD_SDK_PROJECT_ID: must be a project id/,
  },
  {
    name: "region that is no region",
    fn: "reconcile",
    event: timerEvent(),
    env: { HUAWEICLOUD_SDK_REGION: "the moon" },
    says: /HUAWEICLOUD_SDK_REGION: is not a region name/,
  },
  {
    name: "plain http endpoint off loopback",
    fn: "reconcile",
    event: timerEvent(),
    env: { ROMA_ENDPOINT: "http://roma.example.com" },
    says: /ROMA_ENDPOINT: must use https/,
  },
  {
    name: "endpoint with credentials",
    fn: "reconcile",
    event: timerEvent(),
    env: { AS_ENDPOINT: "https://user:pw@as.example.com" },
    says: /AS_ENDPOINT: must not carry/,
  },
  {
    name: "endpoint to a host under no SDK domain",
    fn: "reconcile",
    event: timerEvent(),
    env: { SMN_ENDPOINT: "https://smn.cn-north-4.myhuaweicloud.com.evil.example" },
    says: /SMN_ENDPOINT: names host smn\.cn-north-4\.myhuaweicloud\.com\.evil\.example, which is under none of the official SDKs' endpoint domains .*ALLOW_CUSTOM_ENDPOINTS=true/,
  },
  {
    name: "endpoint that hides its host behind userinfo",
    fn: "scaling-events",
    event: smnEvent('{"scaling_group_id":"asg-1"}'),
    env: { ECS_ENDPOINT: "https://myhuaweicloud.com@evil.example", ALLOW_CUSTOM_ENDPOINTS: "true" },
    says: /ECS_ENDPOINT: must not carry a query, fragment or credentials/,
  },
  {
    name: "ALLOW_CUSTOM_ENDPOINTS that is no boolean",
    fn: "backfill",
    event: {},
    env: { ALLOW_CUSTOM_ENDPOINTS: "1" },
    says: /ALLOW_CUSTOM_ENDPOINTS: must be "true" or "false"/,
  },
  {
    name: "dead-letter topic that is no URN",
    fn: "reconcile",
    event: timerEvent(),
    env: { DEAD_LETTER_TOPIC_URN: "dead-letters" },
    says: /DEAD_LETTER_TOPIC_URN: must be an SMN topic URN/,
  },
  {
    name: "unknown log level",
    fn: "reconcile",
    event: timerEvent(),
    env: { LOG_LEVEL: "chatty" },
    says: /LOG_LEVEL: must be one of/,
  },
  {
    name: "request timeout not a number",
    fn: "reconcile",
    event: timerEvent(),
    env: { REQUEST_TIMEOUT_MS: "fast" },
    says: /REQUEST_TIMEOUT_MS: must be a whole number/,
  },
  {
    name: "zero retry attempts",
    fn: "reconcile",
    event: timerEvent(),
    env: { RETRY_MAX_ATTEMPTS: "0" },
    says: /RETRY_MAX_ATTEMPTS: must be a whole number from 1/,
  },
  {
    name: "absurd rate limit",
    fn: "reconcile",
    event: timerEvent(),
    env: { API_RATE_LIMIT: "1e9" },
    says: /API_RATE_LIMIT: must be a whole number/,
  },
  {
    name: "no credentials anywhere",
    fn: "reconcile",
    event: timerEvent(),
    env: { HUAWEICLOUD_SDK_AK: undefined, HUAWEICLOUD_SDK_SK: undefined },
    says: /HUAWEICLOUD_SDK_AK\/HUAWEICLOUD_SDK_SK: no credentials/,
  },
  {
    name: "several problems at once, all named",
    fn: "reconcile",
    event: timerEvent(),
    bindings: [{ ...webBinding, weight: -1, vpc_channel_id: "a/b" }],
    env: { LOG_LEVEL: "loud", RETRY_BASE_DELAY_MS: "-5" },
    says: /BINDINGS\[0\]\.vpc_channel_id[\s\S]*BINDINGS\[0\]\.weight[\s\S]*LOG_LEVEL[\s\S]*RETRY_BASE_DELAY_MS|4 problems/,
  },
];

/** Well-formed ids that name nothing: the API says so, the record names the id, nothing is written. */
const UNKNOWN_IDS: BadCase[] = [
  {
    name: "unknown gateway instance",
    fn: "reconcile",
    event: timerEvent(),
    bindings: [{ ...webBinding, instance_id: "roma-404" }],
    says: /instance does not exist;id:roma-404/,
    outcome: "dead_letter",
  },
  {
    name: "unknown VPC channel",
    fn: "reconcile",
    event: timerEvent(),
    bindings: [{ ...webBinding, vpc_channel_id: "chan-404" }],
    says: /VPC channel does not exist,id:chan-404/,
    outcome: "dead_letter",
  },
  {
    name: "unknown scaling group",
    fn: "scaling-events",
    event: smnEvent('{"scaling_group_id":"asg-404"}'),
    bindings: [{ ...webBinding, scaling_group_id: "asg-404" }],
    says: /AS group does not exist/,
    outcome: "dead_letter",
  },
];

function envOf(c: BadCase): Record<string, string> {
  const bindings = c.bindings === undefined ? [webBinding] : c.bindings;
  const env: Record<string, string | undefined> = {
    ...envFor(emu, [] as Binding[]),
    BINDINGS: typeof bindings === "string" ? bindings : JSON.stringify(bindings),
    ...c.env,
  };
  return Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)) as Record<string, string>;
}

const corpus = [...EVENTS, ...CONFIGS, ...UNKNOWN_IDS];

describe(`bad input corpus (${corpus.length} cases)`, () => {
  it("has at least 40 cases", () => {
    expect(corpus.length).toBeGreaterThanOrEqual(40);
  });

  it.each(corpus)("$fn: $name", async (c) => {
    const inv = await invoke(c.fn, c.event, { env: envOf(c) });
    // Never a stack trace, never a huge echo of the input.
    expect(stackLines(inv)).toEqual([]);
    for (const line of inv.lines) expect(line.length).toBeLessThan(20_000);
    // Never a write.
    expect(writes(emu)).toEqual([]);

    if ((c.outcome ?? "throw") === "throw") {
      expect(inv.error, "the invocation must fail").toBeDefined();
      expect(inv.error!.message).toMatch(c.says);
      expect(inv.error!.message.length).toBeLessThan(2_000);
      expect(inv.error!.stack ?? "").not.toMatch(/\n\s+at /);
      // The log says it too, at error level.
      const logged = inv.logs.filter((l) => l.level === "error");
      expect(logged.some((l) => c.says.test(String(l.msg)))).toBe(true);
      // Nothing was even read.
      expect(emu.control.calls()).toEqual([]);
    } else {
      expect(inv.error).toBeUndefined();
      const messages = inv.deadLetters.map(
        (d) => `${(d.error as { code: string }).code} ${(d.error as { message: string }).message}`,
      );
      expect(
        messages.some((m) => c.says.test(m)),
        messages.slice(0, 3).join("\n"),
      ).toBe(true);
    }
  });
});
