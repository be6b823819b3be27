import { describe, expect, it } from "vitest";
import { hostsLine } from "../../src/cli/hosts";
import { loadConfig } from "../../src/config/load";

/** The one line that tells a CLI user which hosts will receive the credentials. */

const binding = {
  scaling_group_id: "asg-1",
  instance_id: "i-1",
  vpc_channel_id: "c-1",
  member_group_name: "web",
};

function line(env: Record<string, string>, bindings: unknown[] = [binding]): string {
  const all: Record<string, string> = {
    BINDINGS: JSON.stringify(bindings),
    HUAWEICLOUD_SDK_PROJECT_ID: "p1",
    ...env,
  };
  const config = loadConfig((key) => all[key]);
  return hostsLine(config, config.bindings);
}

describe("hostsLine", () => {
  it("names the SDK defaults of the services the run calls, SMN only with a dead-letter topic", () => {
    expect(line({ HUAWEICLOUD_SDK_REGION: "eu-west-101" }, [{ ...binding, gateway: "apig" }])).toBe(
      "Hosts: apig.eu-west-101.myhuaweicloud.eu (apig), as.eu-west-101.myhuaweicloud.com (as), ecs.eu-west-101.myhuaweicloud.com (ecs)\n",
    );
    expect(
      line({
        HUAWEICLOUD_SDK_REGION: "cn-north-2",
        DEAD_LETTER_TOPIC_URN: "urn:smn:cn-north-2:p1:dl",
        BACKFILL_FUNCTION_URN: "urn:fss:cn-north-2:p1:function:default:backfill:latest",
      }),
    ).toBe(
      "Hosts: as.cn-north-2.myhuaweicloud.com (as), ecs.cn-north-2.myhuaweicloud.com (ecs), roma.cn-north-2.myhuaweicloud.com (roma: not in the SDK's region table), smn.cn-north-2.myhuaweicloud.cn (smn)\n",
    );
  });

  it("does not quote a custom host that is no dotted name: it could be a pasted credential", () => {
    expect(
      line({
        HUAWEICLOUD_SDK_REGION: "cn-north-4",
        ALLOW_CUSTOM_ENDPOINTS: "true",
        AS_ENDPOINT: "https://skSecretValueZXCVBNM0987654321",
        ECS_ENDPOINT: "https://ecs.internal.example:8443",
      }),
    ).toBe(
      "Hosts: [a host that is no dotted name] (as), ecs.internal.example:8443 (ecs), roma.cn-north-4.myhuaweicloud.com (roma)\n",
    );
  });

  it("groups the services an override sends to one host", () => {
    expect(
      line({
        HUAWEICLOUD_SDK_REGION: "cn-north-4",
        AS_ENDPOINT: "http://127.0.0.1:4010",
        ECS_ENDPOINT: "http://127.0.0.1:4010/",
        ROMA_ENDPOINT: "https://roma.cn-north-4.myhuaweicloud.com",
      }),
    ).toBe("Hosts: 127.0.0.1:4010 (as, ecs), roma.cn-north-4.myhuaweicloud.com (roma)\n");
  });
});
