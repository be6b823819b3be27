import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { GroupInstance } from "../../src/cloud/autoscaling";
import { memberName } from "../../src/plan/desired";
import { ECS_NAME_RE } from "../emulator/validators";

/** memberName against the API's rule for `ecs_name`, as the emulator enforces it. */

const instance = (instance_name: string | null, instance_id = "b25c1589-c96c-465b-9fef-d06540d1945c") =>
  ({ instance_id, instance_name, scaling_group_id: "asg-1" }) as GroupInstance;

/** Names of any characters: every Unicode plane, lone surrogates, and the allowed ones often. */
const anyName = fc.oneof(
  fc.string({ unit: "binary", maxLength: 90 }),
  fc.string({ unit: "grapheme", maxLength: 90 }),
  fc.string({
    unit: fc.constantFrom(..."aZ09-_. 服务器éñ№ｗ\u0301\u00a0\u200b/#🚀Ωй".split("")),
    maxLength: 90,
  }),
);
const instanceId = fc.stringMatching(/^[A-Za-z0-9-]{1,64}$/);

describe("memberName", () => {
  it("gives a name the API accepts, for any instance name", () => {
    fc.assert(
      fc.property(fc.option(anyName), instanceId, (name, id) => {
        expect(memberName(instance(name, id))).toMatch(ECS_NAME_RE);
      }),
      { numRuns: 2000 },
    );
  });

  it("keeps a name the API accepts as it is", () => {
    const validName = fc.string({
      unit: fc.constantFrom(..."abcXYZ019-_.服务器".split("")),
      minLength: 1,
      maxLength: 64,
    });
    fc.assert(
      fc.property(validName, (name) => {
        expect(memberName(instance(name))).toBe(name);
      }),
    );
  });

  it.each([
    ["wéb server №2", "web-server-No2"],
    ["ｗｅｂ－１", "web-1"],
    ["  web  1 ", "web-1"],
    ["服务器 3", "服务器-3"],
    ["сервер-1", "1"],
    ["x".repeat(70), "x".repeat(64)],
    ["web--!", "web"],
    ["!--web", "web"],
  ])("reduces %j to %j", (name, want) => {
    expect(memberName(instance(name))).toBe(want);
  });

  it.each([null, "", "🚀🚀", "сервер", " - ", "\u0301"])(
    "takes the instance id when nothing of %j is left",
    (name) => {
      expect(memberName(instance(name, "i-1"))).toBe("i-1");
    },
  );

  it("cuts an instance id it takes to 64 characters", () => {
    expect(memberName(instance("!", "i".repeat(70)))).toBe("i".repeat(64));
  });
});
