import { describe, expect, it } from "vitest";
import type { DeadLetterRecord } from "../../src/reliability/dead-letter";
import { DEAD_LETTER_SUBJECT } from "../../src/reliability/dead-letter";
import {
  deadLetterMessages,
  SMN_MESSAGE_MAX_BYTES,
  SMN_SUBJECT_MAX_BYTES,
  truncateUtf8,
} from "../../src/reliability/dead-letter-messages";

const record = (over: Partial<DeadLetterRecord> = {}): DeadLetterRecord => ({
  dead_letter: true,
  version: 1,
  time: "2026-11-22T02:08:02.042Z",
  request_id: "7c307f6a",
  function: "channel-autoscaler-reconcile",
  action: "disable_members",
  binding: {
    scaling_group_id: "asg-1",
    instance_id: "roma-1",
    vpc_channel_id: "chan-1",
    member_group_name: "web",
  },
  instance_ids: ["i-1"],
  error: { status: 400, code: "APIG.2012", message: "Invalid parameter value" },
  attempts: 1,
  replay: { scaling_group_ids: ["asg-1"] },
  ...over,
});
const bytes = (s: string) => Buffer.byteLength(s, "utf8");

describe("deadLetterMessages", () => {
  it("publishes a record that fits as it is", () => {
    const r = record();
    expect(deadLetterMessages(r, JSON.stringify)).toEqual([JSON.stringify(r)]);
  });

  it.each([
    [10, 1],
    [1_000, 8],
    [20_000, 128],
  ])("splits %i instance ids into %i parts that fit, in order, each a whole record", (n, count) => {
    const ids = Array.from({ length: n }, (_, i) => `i-${String(i).padStart(40, "0")}`);
    const max = 8 * 1024;
    const r = record({ instance_ids: ids });
    const out = deadLetterMessages(r, JSON.stringify, max);
    expect(out).toHaveLength(count);
    const parts = out.map((m) => JSON.parse(m) as DeadLetterRecord);
    for (const m of out) expect(bytes(m)).toBeLessThanOrEqual(max);
    expect(parts.flatMap((p) => p.instance_ids)).toEqual(ids);
    if (count === 1) return expect(out).toEqual([JSON.stringify(r)]);
    for (const [i, p] of parts.entries()) {
      expect(p).toMatchObject({
        action: r.action,
        replay: r.replay,
        error: r.error,
        request_id: r.request_id,
      });
      expect(p.detail?.part).toBe(`${i + 1}/${parts.length}`);
      expect(p.detail?.full_record).toMatch(
        /request_id 7c307f6a, time 2026-11-22T02:08:02.042Z, action disable_members/,
      );
    }
  });

  it("trims free text that cannot fit even alone, multi-byte text included", () => {
    const r = record({
      error: { status: 500, code: "APIG.9999", message: "系统错误".repeat(100_000) },
      detail: { message_id: "x".repeat(300_000), nested: { deep: "y".repeat(300_000) }, n: 3 },
    });
    const [only, ...more] = deadLetterMessages(r, JSON.stringify);
    expect(more).toEqual([]);
    expect(bytes(only!)).toBeLessThanOrEqual(SMN_MESSAGE_MAX_BYTES);
    const p = JSON.parse(only!) as DeadLetterRecord;
    expect(p.error.message.startsWith("系统错误")).toBe(true);
    expect(p.error.message.endsWith("… [trimmed]")).toBe(true);
    expect(p.detail).toMatchObject({ trimmed: true, n: 3, full_record: expect.stringContaining("7c307f6a") });
  });

  it("measures what is published: the serializer's output (secrets scrubbed), in UTF-8 bytes", () => {
    const ids = Array.from({ length: 200 }, (_, i) => `实例-${i}`);
    const serialize = (r: DeadLetterRecord) => JSON.stringify(r).replaceAll("实例", "[REDACTED-LONGER]");
    const out = deadLetterMessages(record({ instance_ids: ids }), serialize, 2_048);
    for (const m of out) expect(bytes(m)).toBeLessThanOrEqual(2_048);
    expect(out.length).toBeGreaterThan(1);
  });

  it("keeps the subject within SMN's 512 bytes", () => {
    expect(bytes(DEAD_LETTER_SUBJECT)).toBeLessThanOrEqual(SMN_SUBJECT_MAX_BYTES);
  });
});

describe("truncateUtf8", () => {
  it("never cuts a character in two", () => {
    expect(truncateUtf8("ab界c", 4)).toBe("ab");
    expect(truncateUtf8("ab界c", 5)).toBe("ab界");
    expect(truncateUtf8("abc", 10)).toBe("abc");
  });
});
