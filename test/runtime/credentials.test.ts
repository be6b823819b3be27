import { describe, expect, it } from "vitest";
import type { EnvReader } from "../../src/config/load";
import { resolveCredentials } from "../../src/runtime/credentials";

function reader(env: Record<string, string>): EnvReader {
  return (key) => env[key];
}

describe("resolveCredentials", () => {
  const env = reader({ HUAWEICLOUD_SDK_AK: "envak", HUAWEICLOUD_SDK_SK: "envsk" });
  it("prefers the context's temporary agency credentials", () => {
    const ctx = {
      getSecurityAccessKey: () => "tak",
      getSecuritySecretKey: () => "tsk",
      getSecurityToken: () => "tok",
    };
    expect(resolveCredentials(ctx, env)).toEqual({ ak: "tak", sk: "tsk", securityToken: "tok" });
  });
  it("falls back to the environment when the context's are empty", () => {
    const ctx = {
      getSecurityAccessKey: () => "",
      getSecuritySecretKey: () => "",
      getSecurityToken: () => "",
    };
    expect(resolveCredentials(ctx, env)).toEqual({ ak: "envak", sk: "envsk" });
  });
  it("names the problem when there are none", () => {
    expect(() => resolveCredentials(undefined, reader({}))).toThrow(/no credentials/);
  });
});
