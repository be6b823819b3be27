import { describe, expect, it } from "vitest";
import { endpointResolver, resolveEndpoint } from "../../src/cloud/endpoints";
import type { Service } from "../../src/config/keys";

/** Each service's endpoint is looked up on its first call, and a fallback is told of then, once. */

function resolverFor(region: string | undefined, overrides: Partial<Record<Service, string>> = {}) {
  const fallbacks: string[] = [];
  const endpointOf = endpointResolver(region, overrides, (service, url) =>
    fallbacks.push(`${service} ${url}`),
  );
  return { endpointOf, fallbacks };
}

describe("endpointResolver", () => {
  it("tells of a fallback only when that service is first resolved, and once", () => {
    // SMN's table lacks ru-northwest-2; ROMA's has it.
    const { endpointOf, fallbacks } = resolverFor("ru-northwest-2");
    expect(endpointOf("roma")).toBe("https://roma.ru-northwest-2.myhuaweicloud.com");
    expect(endpointOf("as")).toBe("https://as.ru-northwest-2.myhuaweicloud.com");
    expect(fallbacks).toEqual([]);
    expect(endpointOf("smn")).toBe("https://smn.ru-northwest-2.myhuaweicloud.com");
    expect(endpointOf("smn")).toBe("https://smn.ru-northwest-2.myhuaweicloud.com");
    expect(fallbacks).toEqual(["smn https://smn.ru-northwest-2.myhuaweicloud.com"]);
  });

  it("never falls back past an override, and has nothing without region or override", () => {
    const { endpointOf, fallbacks } = resolverFor(undefined, { smn: "http://127.0.0.1:4010" });
    expect(endpointOf("smn")).toBe("http://127.0.0.1:4010");
    expect(endpointOf("ecs")).toBeUndefined();
    expect(fallbacks).toEqual([]);
    expect(resolveEndpoint("roma", "xx-new-1", { roma: "https://roma.x.myhuaweicloud.com" })).toEqual({
      url: "https://roma.x.myhuaweicloud.com",
      source: "override",
    });
    expect(resolveEndpoint("roma", "xx-new-1", {})).toEqual({
      url: "https://roma.xx-new-1.myhuaweicloud.com",
      source: "fallback",
    });
    expect(resolveEndpoint("smn", "eu-west-101", {})).toEqual({
      url: "https://smn.eu-west-101.myhuaweicloud.eu",
      source: "sdk",
    });
  });
});
