import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/config/errors";
import { loadConfig } from "../../src/config/load";

const apig = {
  scaling_group_id: "asg-1",
  gateway: "apig",
  instance_id: "apig-1",
  vpc_channel_id: "chan-1",
  member_group_name: "web",
};

function load(bindings: unknown[]) {
  const env: Record<string, string> = {
    BINDINGS: JSON.stringify(bindings),
    HUAWEICLOUD_SDK_REGION: "cn-north-4",
    HUAWEICLOUD_SDK_PROJECT_ID: "proj1",
  };
  return loadConfig((key) => env[key]);
}

function problems(bindings: unknown[]): string[] {
  try {
    load(bindings);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues.map((i) => `${i.path}: ${i.message}`);
  }
  throw new Error("expected a ConfigError");
}

describe("replace_unhealthy", () => {
  it("defaults: after_seconds 300, max_per_run 1, max_unhealthy_fraction 0.5, max_in_standby 1, cooldown_seconds 600; absent means off", () => {
    const [on, off] = load([
      { ...apig, replace_unhealthy: {} },
      { ...apig, scaling_group_id: "asg-2", member_group_name: "api" },
    ]).bindings;
    expect(on!.replace_unhealthy).toEqual({
      after_seconds: 300,
      max_per_run: 1,
      max_unhealthy_fraction: 0.5,
      max_in_standby: 1,
      cooldown_seconds: 600,
    });
    expect(off!.replace_unhealthy).toBeUndefined();
  });

  it("checks the ranges, naming each field", () => {
    expect(
      problems([
        { ...apig, replace_unhealthy: { after_seconds: 59, max_per_run: 11, max_unhealthy_fraction: 1.5 } },
      ]),
    ).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^BINDINGS\[0\]\.replace_unhealthy\.after_seconds: /),
        expect.stringMatching(/^BINDINGS\[0\]\.replace_unhealthy\.max_per_run: /),
        expect.stringMatching(/^BINDINGS\[0\]\.replace_unhealthy\.max_unhealthy_fraction: /),
      ]),
    );
    expect(problems([{ ...apig, replace_unhealthy: { after_seconds: 86401 } }])).toHaveLength(1);
    expect(problems([{ ...apig, replace_unhealthy: { max_per_run: 0 } }])).toHaveLength(1);
    expect(problems([{ ...apig, replace_unhealthy: { max_unhealthy_fraction: -0.1 } }])).toHaveLength(1);
    expect(
      problems([{ ...apig, replace_unhealthy: { max_in_standby: 0, cooldown_seconds: 86401 } }]),
    ).toEqual([
      expect.stringMatching(/^BINDINGS\[0\]\.replace_unhealthy\.max_in_standby: /),
      expect.stringMatching(/^BINDINGS\[0\]\.replace_unhealthy\.cooldown_seconds: /),
    ]);
    expect(problems([{ ...apig, replace_unhealthy: { max_in_standby: 101 } }])).toHaveLength(1);
    expect(problems([{ ...apig, replace_unhealthy: { cooldown_seconds: -1 } }])).toHaveLength(1);
    expect(problems([{ ...apig, replace_unhealthy: { max_in_standby: 1.5 } }])).toHaveLength(1);
    expect(
      load([{ ...apig, replace_unhealthy: { max_in_standby: 100, cooldown_seconds: 0 } }]).bindings[0]!
        .replace_unhealthy,
    ).toMatchObject({ max_in_standby: 100, cooldown_seconds: 0 });
    expect(problems([{ ...apig, replace_unhealthy: { after: 300 } }])).toEqual([
      expect.stringMatching(/^BINDINGS\[0\]\.replace_unhealthy: .*after/),
    ]);
  });

  it("is rejected on roma bindings: ROMA reports no member health", () => {
    expect(problems([{ ...apig, gateway: "roma", replace_unhealthy: {} }])).toEqual([
      'BINDINGS[0].replace_unhealthy: is only supported on "apig" bindings: ROMA Connect reports no member health_status, so an unhealthy member cannot be told from a healthy one',
    ]);
    const { gateway: _, ...romaByDefault } = apig;
    expect(problems([{ ...romaByDefault, replace_unhealthy: {} }])).toHaveLength(1);
  });

  it("bindings that share a member group must agree on it", () => {
    expect(
      problems([
        { ...apig, replace_unhealthy: {} },
        { ...apig, scaling_group_id: "asg-2", replace_unhealthy: { after_seconds: 600 } },
      ]),
    ).toEqual([
      "BINDINGS[1].replace_unhealthy: differs from binding 0, which names the same channel member group",
    ]);
  });
});
