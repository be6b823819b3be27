import { describe, expect, it } from "vitest";
import { checkEndpoint, isSdkDomainHost } from "../../src/config/endpoint-url";
import { ConfigError } from "../../src/config/errors";
import { type EnvReader, loadConfig } from "../../src/config/load";

/** The endpoint overrides' allow-list: the SDKs' domains and loopback, unless ALLOW_CUSTOM_ENDPOINTS. */

const base = {
  BINDINGS: JSON.stringify([
    { scaling_group_id: "asg-1", instance_id: "roma-1", vpc_channel_id: "chan-1", member_group_name: "web" },
  ]),
  HUAWEICLOUD_SDK_REGION: "eu-west-101",
  HUAWEICLOUD_SDK_PROJECT_ID: "proj1",
};

function reader(env: Record<string, string>): EnvReader {
  return (key) => env[key];
}

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(reader({ ...base, ...env }));
    return [];
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues.map((i) => `${i.path}: ${i.message}`);
  }
}

const SDK_HOSTS = [
  "https://roma.cn-north-4.myhuaweicloud.com",
  "https://smn.eu-west-101.myhuaweicloud.eu",
  "https://smn.cn-north-2.myhuaweicloud.cn",
  "https://as.ap-southeast-1.myhwclouds.com",
  // A region no table lists yet: any region is fine, only the domain counts.
  "https://apig.xx-new-9.myhuaweicloud.com",
  "https://apig.eu-west-101.myhuaweicloud.com:443/",
  // The same host in capitals: the URL parser lower-cases it, so this is the host that is called.
  "https://ROMA.CN-NORTH-4.MYHUAWEICLOUD.COM",
  // Full-width letters map to ASCII (IDNA): again the very host that is called.
  "https://roma.cn-north-4.\uff4d\uff59huaweicloud.com",
];

const LOOPBACK = [
  "http://127.0.0.1:4010",
  "http://localhost:4010/",
  "http://[::1]:4010",
  "https://127.0.0.1:8443",
];

/** Hosts that look like an SDK domain but are not under one, with the host the refusal must name. */
const LOOK_ALIKES: [string, string][] = [
  ["https://myhuaweicloud.com.evil.example", "myhuaweicloud.com.evil.example"],
  [
    "https://roma.cn-north-4.myhuaweicloud.com.evil.example/",
    "roma.cn-north-4.myhuaweicloud.com.evil.example",
  ],
  ["https://evilmyhuaweicloud.com", "evilmyhuaweicloud.com"],
  ["https://roma.cn-north-4.evilmyhuaweicloud.com", "roma.cn-north-4.evilmyhuaweicloud.com"],
  ["https://myhuaweicloud.com", "myhuaweicloud.com"],
  // Cyrillic "о" in ".cоm": the IDN becomes punycode, which is not the SDKs' domain.
  ["https://roma.cn-north-4.myhuaweicloud.c\u043em", "roma.cn-north-4.myhuaweicloud.xn--cm-fmc"],
  // A trailing dot is another name for the resolver and for TLS; not what the tables list.
  ["https://roma.cn-north-4.myhuaweicloud.com.", "roma.cn-north-4.myhuaweicloud.com."],
  ["https://myhuaweicloud.eu.evil.example", "myhuaweicloud.eu.evil.example"],
  ["https://roma.cn-north-4.myhuaweicloud.community", "roma.cn-north-4.myhuaweicloud.community"],
  // A backslash ends the host for https URLs: this one goes to evil.example.
  ["https://evil.example\\.myhuaweicloud.com", "evil.example"],
  ["https://10.0.0.1", "10.0.0.1"],
];

describe("endpoint overrides", () => {
  it("accept hosts under the SDKs' domains in any region, and loopback", () => {
    for (const url of [...SDK_HOSTS, ...LOOPBACK]) expect(checkEndpoint(url, false).ok, url).toBe(true);
    expect(checkEndpoint("https://ROMA.CN-NORTH-4.MYHUAWEICLOUD.COM", false)).toEqual({
      ok: true,
      url: "https://roma.cn-north-4.myhuaweicloud.com",
    });
  });

  it("refuse look-alike hosts at start-up, naming the variable and the host", () => {
    for (const [url, host] of LOOK_ALIKES) {
      expect(isSdkDomainHost(new URL(url).hostname), url).toBe(false);
      expect(problems({ SMN_ENDPOINT: url }), url).toEqual([
        `SMN_ENDPOINT: names host ${host}, which is under none of the official SDKs' endpoint domains (myhuaweicloud.cn, myhuaweicloud.com, myhuaweicloud.eu, myhwclouds.com): it would receive the credentials and signed requests. Set ALLOW_CUSTOM_ENDPOINTS=true to use it anyway`,
      ]);
    }
  });

  it("describe, never quote, a host that is no dotted name: it could be a pasted credential", () => {
    expect(problems({ AS_ENDPOINT: "https://skSecretValueZXCVBNM0987654321" })).toEqual([
      expect.stringMatching(
        /^AS_ENDPOINT: names a host, which is under none of the official SDKs' endpoint domains/,
      ),
    ]);
  });

  it("refuse userinfo before the host: https://myhuaweicloud.com@evil.example goes to evil.example", () => {
    expect(new URL("https://myhuaweicloud.com@evil.example").hostname).toBe("evil.example");
    for (const allowCustom of ["true", "false"]) {
      expect(
        problems({
          ALLOW_CUSTOM_ENDPOINTS: allowCustom,
          ROMA_ENDPOINT: "https://myhuaweicloud.com@evil.example",
        }),
      ).toEqual(["ROMA_ENDPOINT: must not carry a query, fragment or credentials"]);
    }
  });

  it("take any https host with ALLOW_CUSTOM_ENDPOINTS=true, and still no plain http off loopback", () => {
    const config = loadConfig(
      reader({
        ...base,
        ALLOW_CUSTOM_ENDPOINTS: "TRUE",
        ROMA_ENDPOINT: "https://roma.internal.example:8443/gw/",
        AS_ENDPOINT: "https://as.cn-north-4.myhuaweicloud.com",
      }),
    );
    expect(config.endpointOverrides).toEqual({
      roma: "https://roma.internal.example:8443/gw",
      as: "https://as.cn-north-4.myhuaweicloud.com",
    });
    expect(problems({ ALLOW_CUSTOM_ENDPOINTS: "true", ECS_ENDPOINT: "http://ecs.internal.example" })).toEqual(
      ["ECS_ENDPOINT: must use https:// (http:// is allowed only for loopback hosts)"],
    );
  });

  it("name every refused variable at once, and a bad ALLOW_CUSTOM_ENDPOINTS", () => {
    const found = problems({
      ALLOW_CUSTOM_ENDPOINTS: "yes",
      ROMA_ENDPOINT: "https://roma.example.com",
      FUNCTIONGRAPH_ENDPOINT: "https://fg.example.org",
    });
    expect(found).toEqual([
      'ALLOW_CUSTOM_ENDPOINTS: must be "true" or "false"',
      expect.stringMatching(/^ROMA_ENDPOINT: names host roma\.example\.com, /),
      expect.stringMatching(/^FUNCTIONGRAPH_ENDPOINT: names host fg\.example\.org, /),
    ]);
    expect(problems({ ALLOW_CUSTOM_ENDPOINTS: "false", ROMA_ENDPOINT: "https://roma.example.com" })).toEqual([
      expect.stringMatching(/^ROMA_ENDPOINT: names host roma\.example\.com, /),
    ]);
  });
});
