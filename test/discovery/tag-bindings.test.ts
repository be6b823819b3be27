import { describe, expect, it } from "vitest";
import { type Binding, BindingSchema, ReplaceUnhealthySchema } from "../../src/config/schema";
import type { TagBindingAllowList } from "../../src/config/tag-consent";
import { type DiscoveredGroup, mergeBindings, sourceOf, sourcesOf } from "../../src/discovery/merge";
import { bindingFromTags, describeTagProblems, isTaggedForBinding, type Tag } from "../../src/discovery/tags";

const tags = (over: Record<string, string | undefined> = {}): Tag[] =>
  Object.entries({
    "channel-autoscaler-channel": "chan-1",
    "channel-autoscaler-instance": "roma-1",
    "channel-autoscaler-member-group": "web",
    owner: "team-a",
    ...over,
  })
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => ({ key, value }));

const group = (id: string, over: Record<string, string | undefined> = {}): DiscoveredGroup => ({
  scaling_group_id: id,
  result: bindingFromTags(id, tags(over)),
});

/** Every channel of roma-1: where these tags point. */
const ALL: TagBindingAllowList = [{ gateway: "roma", instance_id: "roma-1", vpc_channel_id: "*" }];

const envBinding = (over: Partial<Binding> = {}): Binding =>
  BindingSchema().parse({
    scaling_group_id: "asg-env",
    instance_id: "roma-1",
    vpc_channel_id: "chan-1",
    member_group_name: "web",
    ...over,
  });

describe("bindingFromTags (docs/configuration.md: Bindings from AS group tags)", () => {
  it("reads the required tags with BINDINGS' defaults, and every optional tag", () => {
    expect(bindingFromTags("asg-1", tags())).toEqual({
      ok: true,
      binding: envBinding({ scaling_group_id: "asg-1" }),
    });
    const full = bindingFromTags(
      "asg-1",
      tags({
        "channel-autoscaler-gateway": "apig",
        "channel-autoscaler-weight": "7",
        "channel-autoscaler-standby": "true",
        "channel-autoscaler-port": "9090",
        "channel-autoscaler-drain-seconds": "0",
        "channel-autoscaler-slow-start": "300",
      }),
    );
    expect(full).toMatchObject({
      ok: true,
      binding: {
        gateway: "apig",
        weight: 7,
        standby: true,
        port: 9090,
        drain_seconds: 0,
        slow_start_seconds: 300,
      },
    });
  });

  it.each([
    [{ "channel-autoscaler-weight": "abc" }, "channel-autoscaler-weight", "must be a whole number"],
    [{ "channel-autoscaler-weight": "10001" }, "channel-autoscaler-weight", "<=10000"],
    [{ "channel-autoscaler-port": "70000" }, "channel-autoscaler-port", "<=65535"],
    [{ "channel-autoscaler-drain-seconds": "3601" }, "channel-autoscaler-drain-seconds", "<=3600"],
    [{ "channel-autoscaler-slow-start": "3601" }, "channel-autoscaler-slow-start", "<=3600"],
    [{ "channel-autoscaler-slow-start": "5m" }, "channel-autoscaler-slow-start", "must be a whole number"],
    [{ "channel-autoscaler-standby": "yes" }, "channel-autoscaler-standby", '"true" or "false"'],
    [{ "channel-autoscaler-gateway": "elb" }, "channel-autoscaler-gateway", "roma"],
    [
      { "channel-autoscaler-member-group": "1web" },
      "channel-autoscaler-member-group",
      "starting with a letter",
    ],
    [{ "channel-autoscaler-instance": undefined }, "channel-autoscaler-instance", "is required"],
    [{ "channel-autoscaler-member-group": "" }, "channel-autoscaler-member-group", "must not be empty"],
    [
      { "channel-autoscaler-wieght": "5" },
      "channel-autoscaler-wieght",
      "is not a channel-autoscaler tag; did you mean channel-autoscaler-weight?",
    ],
    [
      { "channel-autoscaler-colour": "5" },
      "channel-autoscaler-colour",
      "is not a channel-autoscaler tag (known: channel-autoscaler-channel, ",
    ],
  ])("names the tag and the rule: %j", (over, tag, rule) => {
    const result = bindingFromTags("asg-1", tags(over));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]!.tag).toBe(tag);
    expect(result.problems[0]!.rule).toContain(rule);
    expect(describeTagProblems(result.problems)).toContain(`tag ${tag}`);
  });

  it("lists every problem at once, and keeps the target the group meant when those tags are valid", () => {
    const result = bindingFromTags(
      "asg-1",
      tags({ "channel-autoscaler-weight": "-1", "channel-autoscaler-standby": "no" }),
    );
    expect(result).toMatchObject({ ok: false, targetKey: "roma/roma-1/chan-1/web" });
    if (!result.ok)
      expect(result.problems.map((p) => p.tag).sort()).toEqual([
        "channel-autoscaler-standby",
        "channel-autoscaler-weight",
      ]);
  });
});

describe("bindingFromTags, tag by tag", () => {
  it("a group is a binding only when it carries the channel tag", () => {
    expect(isTaggedForBinding(tags())).toBe(true);
    expect(isTaggedForBinding([{ key: "channel-autoscaler-channel", value: "chan-1" }])).toBe(true);
    expect(isTaggedForBinding(tags({ "channel-autoscaler-channel": undefined }))).toBe(false);
    expect(isTaggedForBinding([])).toBe(false);
  });

  it("reads standby false as false, and a whole number only as a whole", () => {
    const off = bindingFromTags("asg-1", tags({ "channel-autoscaler-standby": "false" }));
    expect(off).toMatchObject({ ok: true, binding: { standby: false } });
    for (const bad of ["x5", "5x", "5.0"]) {
      const result = bindingFromTags("asg-1", tags({ "channel-autoscaler-weight": bad }));
      expect(result).toMatchObject({
        ok: false,
        problems: [{ tag: "channel-autoscaler-weight", value: bad, rule: "must be a whole number" }],
      });
    }
  });

  it("a prefixed tag without a value is empty", () => {
    const result = bindingFromTags("asg-1", [...tags(), { key: "channel-autoscaler-port", value: null }]);
    expect(result).toMatchObject({
      ok: false,
      problems: [{ tag: "channel-autoscaler-port", value: "", rule: "must not be empty" }],
    });
  });

  it("a value past the binding schema's bounds is quoted as the tag holds it", () => {
    const result = bindingFromTags("asg-1", tags({ "channel-autoscaler-weight": "99999" }));
    expect(result).toMatchObject({
      ok: false,
      problems: [{ tag: "channel-autoscaler-weight", value: "99999" }],
    });
  });

  it("every problem names a tag, even for a group id AS would never give", () => {
    const result = bindingFromTags("x".repeat(70), tags());
    expect(result.ok).toBe(false);
    if (!result.ok) for (const p of result.problems) expect(typeof p.tag).toBe("string");
  });

  it("keeps the gateway in the target the group meant, when its tags are otherwise invalid", () => {
    const apig = bindingFromTags(
      "asg-1",
      tags({ "channel-autoscaler-gateway": "apig", "channel-autoscaler-weight": "x" }),
    );
    expect(apig).toMatchObject({ ok: false, targetKey: "apig/roma-1/chan-1/web" });
    const badGateway = bindingFromTags("asg-1", tags({ "channel-autoscaler-gateway": "elb" }));
    expect(badGateway).toMatchObject({ ok: false, targetKey: undefined });
  });

  it("describes the problems on one line, quoting the values there are", () => {
    expect(
      describeTagProblems([
        { tag: "channel-autoscaler-instance", rule: "is required" },
        { tag: "channel-autoscaler-weight", value: "abc", rule: "must be a whole number" },
      ]),
    ).toBe(
      'tag channel-autoscaler-instance: is required; tag channel-autoscaler-weight "abc": must be a whole number',
    );
  });
});

describe("tag keys that name the prototype's members", () => {
  it("are data: unprefixed ones ignored, prefixed ones a problem, never a lookup that throws", () => {
    const hostile = ["constructor", "__proto__", "toString", "hasOwnProperty", "valueOf"];
    const plain = bindingFromTags("asg-1", [...tags(), ...hostile.map((key) => ({ key, value: "x" }))]);
    expect(plain).toMatchObject({
      ok: true,
      binding: { scaling_group_id: "asg-1", member_group_name: "web" },
    });
    const prefixed = bindingFromTags("asg-1", [
      ...tags(),
      ...hostile.map((key) => ({ key: `channel-autoscaler-${key}`, value: "x" })),
    ]);
    expect(prefixed.ok).toBe(false);
    expect(prefixed.ok ? [] : prefixed.problems.map((p) => p.tag)).toEqual(
      hostile.map((key) => `channel-autoscaler-${key}`),
    );
  });
});

describe("mergeBindings", () => {
  it("takes a group named in both from BINDINGS and reports its tag binding as shadowed", () => {
    const env = [envBinding({ scaling_group_id: "asg-1", weight: 5 })];
    const set = mergeBindings(
      env,
      [
        group("asg-1", { "channel-autoscaler-weight": "oops" }),
        group("asg-2", { "channel-autoscaler-member-group": "api" }),
      ],
      ALL,
    );
    expect(set.shadowed).toEqual(["asg-1"]);
    expect(set.skipped).toEqual([]);
    expect(set.bindings.map((b) => [b.scaling_group_id, b.weight, sourceOf(set, b)])).toEqual([
      ["asg-1", 5, "bindings"],
      ["asg-2", 1, "tags"],
    ]);
  });

  it("skips a group with bad tags alone", () => {
    const set = mergeBindings(
      [],
      [
        group("asg-1", { "channel-autoscaler-member-group": "api" }),
        group("asg-2", { "channel-autoscaler-member-group": "batch", "channel-autoscaler-port": "x" }),
        group("asg-3", { "channel-autoscaler-channel": "chan-2" }),
      ],
      ALL,
    );
    expect(set.bindings.map((b) => b.scaling_group_id)).toEqual(["asg-1", "asg-3"]);
    expect(set.skipped).toEqual([
      {
        scaling_group_id: "asg-2",
        reason: "invalid_tags",
        problems: [{ tag: "channel-autoscaler-port", value: "x", rule: "must be a whole number" }],
      },
    ]);
  });

  it("skips every tag binding of a member group whose tag bindings disagree, and only those", () => {
    const set = mergeBindings(
      [],
      [
        group("asg-1"),
        group("asg-2"),
        group("asg-3", { "channel-autoscaler-weight": "9" }),
        group("asg-4", { "channel-autoscaler-member-group": "api" }),
      ],
      ALL,
    );
    expect(set.bindings.map((b) => b.scaling_group_id)).toEqual(["asg-4"]);
    expect(set.skipped.map((s) => s.scaling_group_id).sort()).toEqual(["asg-1", "asg-2", "asg-3"]);
    expect(set.skipped.map((s) => s.reason)).toEqual(["invalid_tags", "invalid_tags", "invalid_tags"]);
    const three = set.skipped.find((s) => s.scaling_group_id === "asg-3")!;
    expect(three.problems[0]).toMatchObject({ tag: "channel-autoscaler-weight", value: "9" });
    expect(three.problems[0]!.rule).toMatch(/weight differs from group asg-1 \(tags: 1\)/);
    // Each names a group it disagrees with, not one it agrees with.
    const one = set.skipped.find((s) => s.scaling_group_id === "asg-1")!;
    expect(one.problems[0]).toMatchObject({ tag: "channel-autoscaler-weight", value: "1" });
    expect(one.problems[0]!.rule).toMatch(/^weight differs from group asg-3 \(tags: 9\)/);
  });

  it("compares a tag binding with the other bindings of its own member group only", () => {
    const env = [
      envBinding({ scaling_group_id: "asg-env1", vpc_channel_id: "chan-2", weight: 7 }),
      envBinding({ scaling_group_id: "asg-env2", weight: 4 }),
    ];
    const withEnv = mergeBindings(env, [group("asg-1")], ALL);
    expect(withEnv.skipped.map((s) => s.problems[0]!.rule)).toEqual([
      "weight differs from group asg-env2 (BINDINGS: 4), which names the same channel member group",
    ]);
    const tagsOnly = mergeBindings(
      [envBinding({ vpc_channel_id: "chan-2", weight: 5 })],
      [group("asg-1"), group("asg-2", { "channel-autoscaler-weight": "9" })],
      ALL,
    );
    expect(tagsOnly.skipped.map((s) => [s.scaling_group_id, s.problems[0]!.rule])).toEqual([
      ["asg-1", "weight differs from group asg-2 (tags: 9), which names the same channel member group"],
      ["asg-2", "weight differs from group asg-1 (tags: 1), which names the same channel member group"],
    ]);
  });

  it("quotes a setting BINDINGS leaves unset, and one no tag can carry", () => {
    const unset = mergeBindings([envBinding()], [group("asg-1", { "channel-autoscaler-port": "9090" })], ALL);
    expect(unset.skipped[0]!.problems).toEqual([
      {
        tag: "channel-autoscaler-port",
        value: "9090",
        rule: "port differs from group asg-env (BINDINGS: unset), which names the same channel member group",
      },
    ]);
    const replacing = envBinding({
      gateway: "apig",
      replace_unhealthy: ReplaceUnhealthySchema().parse({ after_seconds: 600 }),
    });
    const untagged = mergeBindings(
      [replacing],
      [group("asg-1", { "channel-autoscaler-gateway": "apig" })],
      [{ gateway: "apig", instance_id: "roma-1", vpc_channel_id: "*" }],
    );
    expect(untagged.skipped[0]!.problems).toEqual([
      {
        tag: "channel-autoscaler-member-group",
        value: "unset",
        rule: 'replace_unhealthy differs from group asg-env (BINDINGS: {"after_seconds":600,"max_per_run":1,"max_unhealthy_fraction":0.5,"max_in_standby":1,"cooldown_seconds":600}), which names the same channel member group',
      },
    ]);
  });

  it("says which binding came from where", () => {
    const set = mergeBindings(
      [envBinding()],
      [group("asg-1", { "channel-autoscaler-member-group": "api" })],
      ALL,
    );
    expect([...sourcesOf(set)]).toEqual([
      ["asg-env", "bindings"],
      ["asg-1", "tags"],
    ]);
  });

  it("lets BINDINGS win a disagreement on a shared member group: only the disagreeing tag group is skipped", () => {
    const env = [envBinding({ weight: 4 })];
    const set = mergeBindings(
      env,
      [group("asg-1", { "channel-autoscaler-weight": "4" }), group("asg-2")],
      ALL,
    );
    expect(set.bindings.map((b) => b.scaling_group_id)).toEqual(["asg-env", "asg-1"]);
    expect(set.skipped).toHaveLength(1);
    expect(set.skipped[0]!.scaling_group_id).toBe("asg-2");
    expect(set.skipped[0]!.problems[0]!.rule).toMatch(/differs from group asg-env \(BINDINGS: 4\)/);
  });

  it("holds the member group a group with bad tags names, so its members are not taken for strays", () => {
    const set = mergeBindings(
      [],
      [group("asg-1"), group("asg-2", { "channel-autoscaler-weight": "heavy" })],
      ALL,
    );
    expect(set.bindings).toEqual([]);
    expect(set.skipped.map((s) => s.scaling_group_id)).toEqual(["asg-2", "asg-1"]);
    expect(set.skipped[1]!.problems[0]!.rule).toMatch(/shares its channel member group with group asg-2/);
  });

  it("names the first group by id whose bad tags hold a member group", () => {
    const set = mergeBindings(
      [],
      [
        group("asg-3", { "channel-autoscaler-weight": "heavy" }),
        group("asg-1"),
        group("asg-0", { "channel-autoscaler-member-group": "1web" }),
        group("asg-2", { "channel-autoscaler-port": "wide" }),
      ],
      ALL,
    );
    const held = set.skipped.find((s) => s.scaling_group_id === "asg-1")!;
    expect(held.problems[0]!.rule).toMatch(/^shares its channel member group with group asg-2,/);
  });

  it("skips a tag binding whose channel TAG_BINDINGS_ALLOWED does not list, with the binding it asked for", () => {
    const allowed: TagBindingAllowList = [
      { gateway: "roma", instance_id: "roma-1", vpc_channel_id: "chan-1" },
      { gateway: "apig", instance_id: "gw-1", vpc_channel_id: "*" },
    ];
    const set = mergeBindings(
      [],
      [
        group("asg-1"),
        group("asg-2", { "channel-autoscaler-channel": "chan-2" }),
        // The same ids on the other gateway kind are another channel.
        group("asg-3", { "channel-autoscaler-gateway": "apig" }),
        group("asg-4", { "channel-autoscaler-gateway": "apig", "channel-autoscaler-instance": "gw-1" }),
      ],
      allowed,
    );
    expect(set.bindings.map((b) => b.scaling_group_id)).toEqual(["asg-1", "asg-4"]);
    expect(set.skipped).toEqual([
      {
        scaling_group_id: "asg-2",
        reason: "not_allowed",
        problems: [
          {
            tag: "channel-autoscaler-channel",
            value: "chan-2",
            rule: "channel roma/roma-1/chan-2 is not in TAG_BINDINGS_ALLOWED (where tag bindings may point; its entries read <gateway>:<instance_id>/<vpc_channel_id> or <gateway>:<instance_id>/* (gateway roma or apig))",
          },
        ],
        binding: expect.objectContaining({ scaling_group_id: "asg-2", vpc_channel_id: "chan-2" }),
      },
      expect.objectContaining({ scaling_group_id: "asg-3", reason: "not_allowed" }),
    ]);
  });

  it("allows nothing with an empty list, and never lets a not-allowed group shadow or hold BINDINGS", () => {
    const env = [envBinding({ vpc_channel_id: "chan-9" })];
    const set = mergeBindings(env, [group("asg-1", { "channel-autoscaler-channel": "chan-9" })], []);
    expect(set.bindings).toEqual(env);
    expect(set.skipped.map((s) => [s.scaling_group_id, s.reason])).toEqual([["asg-1", "not_allowed"]]);
  });
});
