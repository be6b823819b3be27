/**
 * src/cloud/response-check.ts: an answer accepted by the predicate compiled from its zod schema is the
 * answer zod's safeParse would give, returned without the copy; anything else gets zod's own result.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as z from "zod/mini";
import { HangingListSchema, InstancePageSchema } from "../../src/cloud/autoscaling";
import { GroupTagsSchema, ResourcePageSchema } from "../../src/cloud/autoscaling-tags";
import { DetailSchema } from "../../src/cloud/ecs";
import { ChannelSchema, MemberListPageSchema, MemberPageSchema } from "../../src/cloud/gateway";
import type { ResponseSchema } from "../../src/cloud/http";
import { checkResponse } from "../../src/cloud/response-check";
import "../../src/config/zod";

/** zod's outcome: success and the same data, or the same issues (an error message is the first's). */
function expectSameAsZod(schema: ResponseSchema<unknown>, value: unknown) {
  const ours = checkResponse(schema, value);
  const zods = schema.safeParse(value);
  expect(ours.success).toBe(zods.success);
  if (ours.success && zods.success) expect(ours.data).toStrictEqual(zods.data);
  if (!ours.success && !zods.success) expect(ours.error.issues).toEqual(zods.error.issues);
}

/** Values of every kind zod tells apart, those JSON cannot carry included (NaN, Infinity, undefined). */
const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.string({ maxLength: 4 }),
  fc.double(),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.array(fc.string({ maxLength: 2 }), { maxLength: 2 }),
  fc.dictionary(fc.string({ maxLength: 2 }), fc.string({ maxLength: 2 }), { maxKeys: 2 }),
);

/** Objects with some of the given keys (holding values of any kind, or `value`'s) and a few others. */
const objectOf = (keys: readonly string[], value: fc.Arbitrary<unknown> = anyValue) =>
  fc
    .tuple(
      fc.record(Object.fromEntries(keys.map((k) => [k, fc.oneof(value, anyValue)])), { requiredKeys: [] }),
      fc.dictionary(fc.string({ maxLength: 3 }), anyValue, { maxKeys: 2 }),
    )
    .map(([known, extra]) => ({ ...extra, ...known }));

/** A list of mostly valid items, now and then a wrong one. */
const listOf = (valid: fc.Arbitrary<unknown>, keys: readonly string[]) =>
  fc.array(fc.oneof({ arbitrary: valid, weight: 4 }, { arbitrary: objectOf(keys), weight: 1 }), {
    maxLength: 4,
  });

const str = fc.string({ maxLength: 4 });
// instance_id is optional in the official model: records with and without one.
const instance = fc.record(
  {
    instance_id: fc.option(str),
    instance_name: fc.option(str),
    life_cycle_state: fc.option(str),
    x: anyValue,
  },
  { requiredKeys: [] },
);
const member = fc.record(
  { id: str, ecs_id: fc.option(str), weight: fc.option(fc.integer()), is_backup: fc.option(fc.boolean()) },
  { requiredKeys: ["id"] },
);
const hook = fc.record({ instance_id: str, lifecycle_hook_name: str, timeout: fc.option(str) });
const tag = fc.record({ key: str, value: fc.option(str) }, { requiredKeys: ["key"] });
const resource = fc.record(
  { resource_id: str, resource_name: fc.option(str), tags: fc.option(fc.array(tag, { maxLength: 2 })) },
  { requiredKeys: ["resource_id"] },
);
const count = fc.oneof(fc.constant(0), fc.nat(5));

const cases: [string, () => ResponseSchema<unknown>, fc.Arbitrary<unknown>][] = [
  [
    "an instance page",
    InstancePageSchema,
    objectOf(["total_number", "scaling_group_instances"], fc.oneof(count, listOf(instance, ["instance_id"]))),
  ],
  [
    "a member page",
    MemberListPageSchema,
    objectOf(["total", "size", "members"], fc.oneof(count, listOf(member, ["id"]))),
  ],
  ["a POST's echo", MemberPageSchema, objectOf(["members"], listOf(member, ["id", "ecs_id"]))],
  [
    "a channel",
    ChannelSchema,
    objectOf(
      ["id", "name", "port", "balance_strategy", "member_type", "member_groups", "vpc_health_config"],
      fc.oneof(str, fc.integer(), listOf(fc.record({ member_group_name: str }), ["member_group_name"])),
    ),
  ],
  ["a hook list", HangingListSchema, objectOf(["instance_hanging_info"], listOf(hook, ["instance_id"]))],
  [
    "a page of tagged groups",
    ResourcePageSchema,
    objectOf(["resources", "total_count"], fc.oneof(count, listOf(resource, ["tags"]))),
  ],
  ["a group's tags", GroupTagsSchema, objectOf(["tags"], listOf(tag, ["key", "value"]))],
  ["ECS details (a union and a record: zod's alone)", DetailSchema, objectOf(["servers"])],
];

describe("checkResponse", () => {
  it.each(cases)("%s: zod's outcome for any value", (_, schema, values) => {
    fc.assert(
      fc.property(fc.oneof(values, fc.jsonValue()), (value) => expectSameAsZod(schema(), value)),
      { numRuns: 500 },
    );
  });

  it("an accepted answer is returned as it is, not copied", () => {
    const page = {
      total_number: 2,
      scaling_group_instances: [{ instance_id: "i-1", life_cycle_state: "INSERVICE", extra: { a: 1 } }],
    };
    const checked = checkResponse(InstancePageSchema(), page);
    expect(checked.success && checked.data).toBe(page);
  });

  it("a page with a record that has no instance_id is accepted as it is, not refused whole", () => {
    const page = {
      total_number: 2,
      scaling_group_instances: [
        { instance_id: "i-1" },
        { instance_name: "new", life_cycle_state: "PENDING" },
      ],
    };
    const checked = checkResponse(InstancePageSchema(), page);
    expect(checked.success && checked.data).toBe(page);
    expectSameAsZod(InstancePageSchema(), page);
  });

  it("a failed refine gives zod's issue (the message a MALFORMED_RESPONSE error carries)", () => {
    const checked = checkResponse(InstancePageSchema(), { total_number: 3 });
    expect(checked.success).toBe(false);
    expect(!checked.success && checked.error.issues[0]?.message).toBe("scaling_group_instances is missing");
  });

  it("an own __proto__ key goes to zod, which leaves it out of its copy", () => {
    const value = JSON.parse('{"instance_hanging_info":[],"__proto__":{"polluted":true}}');
    const checked = checkResponse(HangingListSchema(), value);
    expect(checked.success && Object.hasOwn(checked.data as object, "__proto__")).toBe(false);
    expectSameAsZod(HangingListSchema(), value);
  });

  it.each([
    ["a plain object (zod strips unknown keys)", z.object({ a: z.string() })],
    ["a strict object", z.strictObject({ a: z.string() })],
    ["a union", z.looseObject({ a: z.union([z.string(), z.number()]) })],
    ["a check other than refine", z.looseObject({ a: z.string().check(z.minLength(2)) })],
    [
      "a transform",
      z.looseObject({
        a: z.pipe(
          z.string(),
          z.transform((s) => s.length),
        ),
      }),
    ],
  ])("a schema outside the kit is zod's alone: %s", (_, schema) => {
    for (const value of [{ a: "x", b: 1 }, { a: "xy" }, { a: 3 }, {}, null, []]) {
      expectSameAsZod(schema as ResponseSchema<unknown>, value);
    }
  });
});
