import { describe, expect, it } from "vitest";
import { paths } from "../../src/cloud/paths";
import { signRequest } from "../../src/cloud/signer";

const PROJECT = "0605767a9b00d2b52f1ec00b3d42e8b5";

describe("path parameters", () => {
  it("puts ids and URNs into the path raw, as the official SDKs substitute them", () => {
    expect(paths.smnPublish(PROJECT, `urn:smn:cn-north-4:${PROJECT}:dead-letters`)).toBe(
      `/v2/${PROJECT}/notifications/topics/urn:smn:cn-north-4:${PROJECT}:dead-letters/publish`,
    );
    expect(paths.invokeAsync(PROJECT, `urn:fss:cn-north-4:${PROJECT}:function:default:backfill:v1.2!`)).toBe(
      `/v2/${PROJECT}/fgs/functions/urn:fss:cn-north-4:${PROJECT}:function:default:backfill:v1.2!/invocations-async`,
    );
  });

  it.each([
    ["a slash", "urn:smn:r:p:a/b"],
    ["a space", "urn:smn:r:p:a b"],
    ["a percent-escape", "urn%3Asmn%3Ar"],
    ["a query mark", "urn:smn:r:p:a?b"],
    ["a non-ASCII letter", "urn:smn:r:p:café"],
    ["nothing", ""],
    ["a dot segment", ".."],
  ])("refuses a parameter with %s, naming it", (_what, value) => {
    expect(() => paths.smnPublish(PROJECT, value)).toThrow(
      `path parameter ${JSON.stringify(value)} is not an id or URN`,
    );
  });
});

describe("ids from events and servers", () => {
  it.each([
    ["a scaling group an event names", (id: string) => paths.groupTags(PROJECT, id)],
    ["a server an AS listing names", (id: string) => paths.serverTagsAction(PROJECT, id)],
  ])("must be shaped like ids before they go into a path: %s", (_what, path) => {
    expect(path("4f1e0b1c-8a8e-4c8e-9d43-2f0b0a6c1d11")).toContain("/4f1e0b1c-8a8e-4c8e-9d43-2f0b0a6c1d11/");
    for (const bad of ["..", "a.b", "a:b", "a@b", "-a", ""]) {
      expect(() => path(bad)).toThrow(/is not an id; not used in a request/);
    }
  });
});

describe("signRequest", () => {
  const input = {
    method: "POST",
    query: {},
    body: { message: "m" },
    projectId: PROJECT,
    credentials: { ak: "AK", sk: "SK" },
  };

  it("signs Content-Type, Host, X-Project-Id and X-Sdk-Date, as the official SDKs do", () => {
    const headers = signRequest({
      ...input,
      method: "GET",
      body: undefined,
      url: `https://smn.cn-north-4.myhuaweicloud.com/v2/${PROJECT}/notifications/topics`,
    });
    expect(headers["Content-Type"]).toBe("application/json");
    expect(headers.Authorization).toMatch(/SignedHeaders=content-type;host;x-project-id;x-sdk-date,/);
  });

  it("refuses a path with a percent-escape, which the signer would encode a second time", () => {
    expect(() =>
      signRequest({
        ...input,
        url: `https://smn.cn-north-4.myhuaweicloud.com/v2/${PROJECT}/notifications/topics/urn%3Asmn/publish`,
      }),
    ).toThrow("would be signed encoded twice");
  });
});
