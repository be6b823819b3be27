import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { firstSyntaxError, parseJsonText } from "../../src/config/json-text";
import { parseBindings } from "../../src/config/load";

const base = { instance_id: "roma-1", vpc_channel_id: "chan-1" };
const web = { ...base, scaling_group_id: "asg-1", member_group_name: "web" };

describe("one pass over a bindings list finds every problem", () => {
  it("reports nine mistakes at once: each binding's own, and the rules within and across bindings", () => {
    const bindings = [
      { ...web, weigth: 5 },
      { ...base, scaling_group_id: "asg-2", member_group_name: "w" },
      { ...base, scaling_group_id: "asg-3", member_group_name: "api", drain_seconds: 4000 },
      { ...base, scaling_group_id: "asg-4", member_group_name: "api", port: "80" },
      { ...base, scaling_group_id: "asg-5", member_group_name: "batch", gateway: "kong" },
      {
        ...base,
        scaling_group_id: "asg-6",
        vpc_channel_id: "chan-2",
        member_group_name: "web",
        health_check: {
          protocol: "http",
          path: "/healthz",
          threshold_normal: 2,
          threshold_abnormal: 2,
          time_interval: 10,
          timeout: 5,
        },
      },
      { ...web },
      { ...web, scaling_group_id: "asg-8", weight: 3 },
      { ...base, scaling_group_id: "asg-9", member_group_name: "other", replace_unhealthy: {} },
    ];
    const { issues } = parseBindings(JSON.stringify(bindings, null, 2), "bindings.json");
    expect(issues.map((i) => i.path)).toEqual([
      "bindings.json[0]",
      "bindings.json[1].member_group_name",
      "bindings.json[2].drain_seconds",
      "bindings.json[3].port",
      "bindings.json[4].gateway",
      "bindings.json[5].health_check.http_code",
      "bindings.json[6]",
      "bindings.json[7].weight",
      "bindings.json[8].replace_unhealthy",
    ]);
    const says = Object.fromEntries(issues.map((i) => [i.path, i.message]));
    expect(says["bindings.json[0]"]).toContain('did you mean "weight"?');
    expect(says["bindings.json[5].health_check.http_code"]).toBe("is required for http/https");
    expect(says["bindings.json[6]"]).toBe(
      "duplicates binding 0 (same scaling group, channel and member group)",
    );
    expect(says["bindings.json[7].weight"]).toBe(
      "differs from binding 0, which names the same channel member group",
    );
    expect(says["bindings.json[8].replace_unhealthy"]).toMatch(/^is only supported on "apig" bindings/);
  });

  it("compares only the fields that are valid: a bad weight is reported once, not also as a difference", () => {
    const { issues } = parseBindings(
      JSON.stringify([web, { ...web, scaling_group_id: "asg-2", weight: -1 }]),
      "BINDINGS",
    );
    expect(issues.map((i) => i.path)).toEqual(["BINDINGS[1].weight"]);
  });
});

describe("JSON syntax errors say where, as a line and a column", () => {
  it("names the line and column of the mistake, without quoting the text", () => {
    const text = '[\n  {"scaling_group_id": "asg-1",\n   "weight": 1\n   "standby": true}\n]';
    const { issues } = parseBindings(text, "bindings.json");
    expect(issues).toEqual([
      {
        path: "bindings.json",
        message: "is not valid JSON: Expected ',' or '}' after property value at line 4, column 4",
      },
    ]);
    // JSON.parse gives no position for this one.
    expect(parseJsonText('[{"a": tru}]')).toEqual({
      ok: false,
      reason: "Unexpected token '}' at line 1, column 11",
    });
    expect(parseJsonText('[{"secret": x-SECRET-VALUE}]')).toEqual({
      ok: false,
      reason: "Unexpected token 'x' at line 1, column 13",
    });
  });

  it("finds exactly the texts JSON.parse refuses, at the position it names when it names one", () => {
    fc.assert(
      fc.property(
        fc.json(),
        fc.nat(),
        fc.constantFrom("}", "]", ",", "x", ":", '"', "\\", ""),
        (j, n, tail) => {
          const text = j.slice(0, n % (j.length + 1)) + tail;
          let position: number | undefined;
          try {
            JSON.parse(text);
            return firstSyntaxError(text) === undefined;
          } catch (err) {
            const named = /at position (\d+)/.exec((err as Error).message);
            position = named ? Number(named[1]) : undefined;
          }
          const found = firstSyntaxError(text);
          return found !== undefined && (position === undefined || found === position);
        },
      ),
      { numRuns: 3000 },
    );
  });
});
