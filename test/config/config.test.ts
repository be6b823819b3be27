import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { resolveEndpoint, SERVICES } from "../../src/cloud/endpoints";
import { ConfigError } from "../../src/config/errors";
import { ENDPOINT_KEYS } from "../../src/config/keys";
import { type EnvReader, envReader, loadConfig } from "../../src/config/load";
import { TUNABLES } from "../../src/config/tuning";

const binding = {
  scaling_group_id: "asg-1",
  instance_id: "roma-1",
  vpc_channel_id: "chan-1",
  member_group_name: "web",
};

function reader(env: Record<string, string>): EnvReader {
  return (key) => env[key];
}

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(reader(env));
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues.map((i) => `${i.path}: ${i.message}`);
  }
  throw new Error("expected a ConfigError");
}

const good = {
  BINDINGS: JSON.stringify([binding]),
  HUAWEICLOUD_SDK_REGION: "cn-north-4",
  HUAWEICLOUD_SDK_PROJECT_ID: "proj1",
};

describe("loadConfig", () => {
  it("applies the contract's defaults and derives endpoints from the region", () => {
    const config = loadConfig(reader(good));
    expect(config.bindings[0]).toEqual({
      ...binding,
      gateway: "roma",
      weight: 1,
      slow_start_seconds: 0,
      standby: false,
      drain_seconds: 30,
      healthy_timeout_seconds: 300,
    });
    const endpoint = (s: "roma" | "as") => resolveEndpoint(s, config.region, config.endpointOverrides)?.url;
    expect(endpoint("roma")).toBe("https://roma.cn-north-4.myhuaweicloud.com");
    expect(endpoint("as")).toBe("https://as.cn-north-4.myhuaweicloud.com");
    expect(config.logLevel).toBe("info");
  });

  it("uses the documented exception endpoints", () => {
    const config = loadConfig(reader({ ...good, HUAWEICLOUD_SDK_REGION: "ap-southeast-1" }));
    expect(resolveEndpoint("as", config.region, config.endpointOverrides)?.url).toBe(
      "https://as.ap-southeast-1.myhwclouds.com",
    );
  });

  it("falls back to RUNTIME_PROJECT_ID", () => {
    const { HUAWEICLOUD_SDK_PROJECT_ID: _, ...rest } = good;
    expect(loadConfig(reader({ ...rest, RUNTIME_PROJECT_ID: "rp" })).projectId).toBe("rp");
  });

  it("lists every problem at once, each with its field path", () => {
    const found = problems({
      BINDINGS: JSON.stringify([
        { ...binding, weight: 10001, port: -1, gateway: "elb" },
        {
          scaling_group_id: "asg-2",
          instance_id: "i",
          vpc_channel_id: "c",
          member_group_name: "1bad",
          extra: 1,
        },
      ]),
      LOG_LEVEL: "loud",
      ROMA_ENDPOINT: "http://example.com",
    });
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^BINDINGS\[0\]\.weight: /),
        expect.stringMatching(/^BINDINGS\[0\]\.port: /),
        expect.stringMatching(/^BINDINGS\[0\]\.gateway: /),
        expect.stringMatching(/^BINDINGS\[1\]\.member_group_name: /),
        expect.stringMatching(/^BINDINGS\[1\]: .*extra/),
        expect.stringMatching(/^HUAWEICLOUD_SDK_PROJECT_ID: is required/),
        expect.stringMatching(/^LOG_LEVEL: /),
        expect.stringMatching(/^ROMA_ENDPOINT: must use https/),
        expect.stringMatching(/^AS_ENDPOINT: is required when HUAWEICLOUD_SDK_REGION is not set/),
      ]),
    );
  });

  it("rejects BINDINGS that is not JSON, not an array, or empty", () => {
    expect(problems({ ...good, BINDINGS: "{nope" })[0]).toMatch(/^BINDINGS: is not valid JSON/);
    expect(problems({ ...good, BINDINGS: "{}" })[0]).toMatch(/^BINDINGS: /);
    expect(problems({ ...good, BINDINGS: "[]" })[0]).toMatch(/^BINDINGS: must list at least one binding/);
    const { BINDINGS: _, ...noBindings } = good;
    expect(problems(noBindings)[0]).toMatch(/^BINDINGS: is required/);
  });

  it("makes BINDINGS optional (absent or []) with BINDINGS_FROM_TAGS=true, and checks that flag", () => {
    const { BINDINGS: _, ...noBindings } = good;
    const allowed = { TAG_BINDINGS_ALLOWED: "roma:roma-1/*" };
    expect(loadConfig(reader({ ...noBindings, ...allowed, BINDINGS_FROM_TAGS: "true" }))).toMatchObject({
      bindings: [],
      bindingsFromTags: true,
    });
    expect(
      loadConfig(reader({ ...good, ...allowed, BINDINGS: "[]", BINDINGS_FROM_TAGS: "TRUE" })).bindings,
    ).toEqual([]);
    expect(loadConfig(reader(good)).bindingsFromTags).toBe(false);
    expect(problems({ ...good, BINDINGS_FROM_TAGS: "yes" })).toEqual([
      'BINDINGS_FROM_TAGS: must be "true" or "false"',
    ]);
    expect(problems({ ...noBindings, BINDINGS_FROM_TAGS: "false" })[0]).toMatch(
      /^BINDINGS: is required .*unless BINDINGS_FROM_TAGS=true/,
    );
  });

  it("requires TAG_BINDINGS_ALLOWED with BINDINGS_FROM_TAGS=true, and reads its entries", () => {
    const tags = { ...good, BINDINGS_FROM_TAGS: "true" };
    expect(problems(tags)).toEqual([
      "TAG_BINDINGS_ALLOWED: is required with BINDINGS_FROM_TAGS=true: the channels tag bindings may name, comma-separated <gateway>:<instance_id>/<vpc_channel_id> or <gateway>:<instance_id>/* (gateway roma or apig)",
    ]);
    const config = loadConfig(
      reader({ ...tags, TAG_BINDINGS_ALLOWED: "roma:roma-1/chan-1, apig:gw_2/*,roma:roma-1/chan-2" }),
    );
    expect(config.tagBindingsAllowed).toEqual([
      { gateway: "roma", instance_id: "roma-1", vpc_channel_id: "chan-1" },
      { gateway: "apig", instance_id: "gw_2", vpc_channel_id: "*" },
      { gateway: "roma", instance_id: "roma-1", vpc_channel_id: "chan-2" },
    ]);
    // Without tag discovery it has no effect, and says so.
    const off = loadConfig(reader({ ...good, TAG_BINDINGS_ALLOWED: "roma:roma-1/*" }));
    expect(off.tagBindingsAllowed).toEqual([]);
    expect(off.warnings).toEqual([
      'TAG_BINDINGS_ALLOWED is set but BINDINGS_FROM_TAGS is not "true": it has no effect',
    ]);
  });

  it("names every bad TAG_BINDINGS_ALLOWED entry, quoting only what is shaped like an entry", () => {
    const bad = (value: string) =>
      problems({ ...good, BINDINGS_FROM_TAGS: "true", TAG_BINDINGS_ALLOWED: value });
    expect(bad("roma:roma-1/chan-1,,ROMA:x/*, elb:i/*,roma:roma-1,apig:../c,apig:i/c h,roma:i/**")).toEqual([
      "TAG_BINDINGS_ALLOWED[1]: is empty (two commas in a row, or one at either end)",
      'TAG_BINDINGS_ALLOWED[2]: "ROMA:x/*" names a gateway other than "roma" or "apig"',
      'TAG_BINDINGS_ALLOWED[3]: "elb:i/*" names a gateway other than "roma" or "apig"',
      'TAG_BINDINGS_ALLOWED[4]: "roma:roma-1" must be <gateway>:<instance_id>/<vpc_channel_id> or <gateway>:<instance_id>/* (gateway roma or apig)',
      'TAG_BINDINGS_ALLOWED[5]: "apig:../c" has an instance id that is not an id (letters, digits, - and _)',
      'TAG_BINDINGS_ALLOWED[6]: (not quoted: not shaped like an entry) has a VPC channel id that is neither an id (letters, digits, - and _) nor "*"',
      'TAG_BINDINGS_ALLOWED[7]: "roma:i/**" has a VPC channel id that is neither an id (letters, digits, - and _) nor "*"',
    ]);
    // A value pasted into the wrong variable (a secret, say) is not quoted back.
    expect(bad("AKIAIOSFODNN7EXAMPLEKEY")).toEqual([
      "TAG_BINDINGS_ALLOWED[0]: (not quoted: not shaped like an entry) must be <gateway>:<instance_id>/<vpc_channel_id> or <gateway>:<instance_id>/* (gateway roma or apig)",
    ]);
    expect(bad(" ")[0]).toMatch(/^TAG_BINDINGS_ALLOWED\[0\]: .*is empty/);
  });

  it("rejects bindings of one member group that disagree, and duplicates", () => {
    const found = problems({
      ...good,
      BINDINGS: JSON.stringify([
        binding,
        binding,
        { ...binding, scaling_group_id: "asg-2", weight: 5 },
        { ...binding, scaling_group_id: "asg-3", slow_start_seconds: 300 },
      ]),
    });
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^BINDINGS\[1\]: duplicates binding 0/),
        expect.stringMatching(/^BINDINGS\[2\]\.weight: differs from binding 0/),
        expect.stringMatching(/^BINDINGS\[3\]\.slow_start_seconds: differs from binding 0/),
      ]),
    );
    expect(
      problems({ ...good, BINDINGS: JSON.stringify([{ ...binding, slow_start_seconds: 3601 }]) }),
    ).toEqual([expect.stringMatching(/^BINDINGS\[0\]\.slow_start_seconds: Too big/)]);
  });

  it("checks health_check rules (timeout < interval, http needs path and code)", () => {
    const found = problems({
      ...good,
      BINDINGS: JSON.stringify([
        {
          ...binding,
          health_check: {
            protocol: "HTTP",
            threshold_normal: 2,
            threshold_abnormal: 3,
            time_interval: 10,
            timeout: 10,
          },
        },
      ]),
    });
    expect(found).toEqual(
      expect.arrayContaining([
        "BINDINGS[0].health_check.timeout: must be less than time_interval",
        "BINDINGS[0].health_check.path: is required for http/https",
        "BINDINGS[0].health_check.http_code: is required for http/https",
      ]),
    );
  });

  it("accepts the health check protocol in either case and holds it upper-case, as the API's enum", () => {
    const health_check = {
      protocol: "https",
      path: "/ready",
      http_code: "200",
      threshold_normal: 2,
      threshold_abnormal: 3,
      time_interval: 10,
      timeout: 5,
    };
    const config = loadConfig(reader({ ...good, BINDINGS: JSON.stringify([{ ...binding, health_check }]) }));
    expect(config.bindings[0]!.health_check).toEqual({ ...health_check, protocol: "HTTPS" });
    expect(
      problems({
        ...good,
        BINDINGS: JSON.stringify([{ ...binding, health_check: { ...health_check, protocol: "Udp" } }]),
      }),
    ).toEqual([expect.stringMatching(/^BINDINGS\[0\]\.health_check\.protocol: /)]);
  });

  it("allows http endpoints only on loopback", () => {
    const config = loadConfig(
      reader({
        BINDINGS: good.BINDINGS,
        HUAWEICLOUD_SDK_PROJECT_ID: "p",
        ROMA_ENDPOINT: "http://127.0.0.1:4010/",
        AS_ENDPOINT: "http://localhost:4010",
        ECS_ENDPOINT: "http://[::1]:4010",
      }),
    );
    expect(config.endpointOverrides.roma).toBe("http://127.0.0.1:4010");
    expect(config.endpointOverrides.ecs).toBe("http://[::1]:4010");
    expect(resolveEndpoint("smn", config.region, config.endpointOverrides)).toBeUndefined();
  });

  it("warns when BINDINGS approaches FunctionGraph's 4,096-character cap", () => {
    const many = Array.from({ length: 20 }, (_, i) => ({ ...binding, scaling_group_id: `asg-${i}` }));
    const many2 = Array.from({ length: 40 }, (_, i) => ({ ...binding, scaling_group_id: `asg-${i}` }));
    expect(loadConfig(reader({ ...good, BINDINGS: JSON.stringify(many) })).warnings[0]).toMatch(
      /caps the environment/,
    );
    expect(loadConfig(reader({ ...good, BINDINGS: JSON.stringify(many2) })).warnings[0]).toMatch(
      /caps all environment/,
    );
  });
});

it("has an endpoint variable for exactly the services the clients call", () => {
  expect(Object.keys(ENDPOINT_KEYS).sort()).toEqual([...SERVICES].sort());
});

it("documents every tunable in docs/configuration.md's environment table with its default", () => {
  const readme = readFileSync(resolve(__dirname, "../../docs/configuration.md"), "utf8").split("\n");
  for (const t of Object.values(TUNABLES)) {
    // The row whose first cell names the variable.
    const row = readme.find((line) => line.startsWith("|") && line.split("|")[1]?.includes(`\`${t.key}\``));
    expect(row, t.key).toBeDefined();
    expect(row, t.key).toMatch(new RegExp(`\\b${t.default}\\b`));
  }
});

describe("envReader", () => {
  it("reads context.getUserData first, then process.env, and treats empty as unset", () => {
    const read = envReader(
      { getUserData: (k) => (k === "BINDINGS" ? "[1]" : k === "LOG_LEVEL" ? "" : undefined) },
      {
        BINDINGS: "[2]",
        LOG_LEVEL: "debug",
      },
    );
    expect(read("BINDINGS")).toBe("[1]");
    expect(read("LOG_LEVEL")).toBe("debug");
    expect(read("HUAWEICLOUD_SDK_REGION")).toBeUndefined();
  });
});
