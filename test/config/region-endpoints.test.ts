import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { EcsRegion } from "@huaweicloud/huaweicloud-sdk-ecs/v2/EcsRegion";
import { FunctionGraphRegion } from "@huaweicloud/huaweicloud-sdk-functiongraph/v2/FunctionGraphRegion";
import { describe, expect, it } from "vitest";
import { SERVICES } from "../../src/cloud/endpoints";
import type { Service } from "../../src/config/keys";
import { defaultEndpoint, SDK_ENDPOINT_DOMAINS } from "../../src/config/region-endpoints";

/**
 * Our default endpoints against the official SDKs' region tables, entry for entry. ECS and FunctionGraph
 * are read from the Node SDK packages themselves (dev dependencies); AS, SMN, APIG and ROMA have no
 * Node package on npm, so their tables come from test/fixtures/sdk-region-tables.json, a copy of the Go
 * SDK's `services/<service>/<version>/region/region.go` at the commit it names for each service.
 */

interface FixtureService {
  source: { repo: string; path: string; commit: string };
  cross_check: { npm_package: { name: string; version: string; path: string } | null };
  regions: Record<string, string>;
}
interface Fixture {
  entry_count: number;
  domain_suffixes: string[];
  services: Record<Service, FixtureService>;
}

const fixture = JSON.parse(
  readFileSync(resolve(__dirname, "../fixtures/sdk-region-tables.json"), "utf8"),
) as Fixture;

/** A Node SDK region class's own lookup table (`valueOf` reads it; its type declares it private). */
function packageTable(regionClass: unknown): Record<string, string> {
  const map = (regionClass as { REGION_MAP: Record<string, { id: string; endpoints: string[] }> }).REGION_MAP;
  const out: Record<string, string> = {};
  for (const [id, region] of Object.entries(map)) {
    expect(region.id).toBe(id);
    expect(region.endpoints).toHaveLength(1);
    out[id] = region.endpoints[0]!;
  }
  return out;
}

const FROM_PACKAGES: Partial<Record<Service, { name: string; table: Record<string, string> }>> = {
  ecs: { name: "@huaweicloud/huaweicloud-sdk-ecs v2/EcsRegion.js", table: packageTable(EcsRegion) },
  functiongraph: {
    name: "@huaweicloud/huaweicloud-sdk-functiongraph v2/FunctionGraphRegion.js",
    table: packageTable(FunctionGraphRegion),
  },
};

/** Each service's table and where it was read. */
const TABLES = SERVICES.map((service) => {
  const fromPackage = FROM_PACKAGES[service];
  const { source } = fixture.services[service];
  return fromPackage
    ? { service, origin: fromPackage.name, table: fromPackage.table }
    : {
        service,
        origin: `${source.repo} ${source.path} @ ${source.commit}`,
        table: fixture.services[service].regions,
      };
});
const ENTRIES = TABLES.flatMap(({ service, origin, table }) =>
  Object.entries(table).map(([region, url]) => ({ service, origin, region, url })),
);

describe("default endpoints", () => {
  it(`are the official SDKs' region tables, entry for entry: ${ENTRIES.length} region entries of ${SERVICES.length} services`, () => {
    const differ = ENTRIES.filter(({ service, region, url }) => {
      const ours = defaultEndpoint(service, region);
      return ours.url !== url || !ours.listed;
    }).map(({ service, region, url, origin }) => `${service} ${region}: SDK ${url} (${origin})`);
    expect(differ).toEqual([]);
    // Every entry of every table, and the tables are the ones the fixture was taken from.
    expect(ENTRIES).toHaveLength(fixture.entry_count);
    expect(fixture.entry_count).toBe(168);
  });

  it("read from the SDK packages agree with the fixture's copy of the Go SDK", () => {
    for (const [service, fromPackage] of Object.entries(FROM_PACKAGES)) {
      expect(fromPackage.table, service).toEqual(fixture.services[service as Service].regions);
    }
  });

  it("follow the SDKs where the Terraform provider differs: eu-west-101 on .com for AS, ECS and FunctionGraph", () => {
    expect(defaultEndpoint("as", "eu-west-101").url).toBe("https://as.eu-west-101.myhuaweicloud.com");
    expect(defaultEndpoint("ecs", "eu-west-101").url).toBe("https://ecs.eu-west-101.myhuaweicloud.com");
    expect(defaultEndpoint("functiongraph", "eu-west-101").url).toBe(
      "https://functiongraph.eu-west-101.myhuaweicloud.com",
    );
    expect(defaultEndpoint("smn", "eu-west-101").url).toBe("https://smn.eu-west-101.myhuaweicloud.eu");
    expect(defaultEndpoint("apig", "eu-west-101").url).toBe("https://apig.eu-west-101.myhuaweicloud.eu");
    expect(defaultEndpoint("smn", "cn-north-2").url).toBe("https://smn.cn-north-2.myhuaweicloud.cn");
  });

  it("fall back to https://<service>.<region>.myhuaweicloud.com, unlisted, where a table lacks the region", () => {
    let checked = 0;
    const regions = new Set(ENTRIES.map((e) => e.region));
    for (const { service, table } of TABLES) {
      for (const region of [...regions, "xx-new-1"]) {
        if (Object.hasOwn(table, region)) continue;
        expect(defaultEndpoint(service, region), `${service} ${region}`).toEqual({
          url: `https://${service}.${region}.myhuaweicloud.com`,
          listed: false,
        });
        checked += 1;
      }
    }
    // ROMA alone lacks 26 of the 34 regions the tables name, eu-west-101 among them.
    expect(checked).toBeGreaterThan(SERVICES.length + 26);
    expect(defaultEndpoint("roma", "eu-west-101").listed).toBe(false);
    // Names that are properties of every object are no regions.
    for (const region of ["constructor", "__proto__", "toString"])
      expect(defaultEndpoint("smn", region).listed).toBe(false);
  });

  it("are under exactly the domains the tables use, the endpoint overrides' allow-list", () => {
    const domains = new Set(
      ENTRIES.map(({ service, region, url }) => {
        const host = new URL(url).hostname;
        expect(host.startsWith(`${service}.${region}.`), url).toBe(true);
        return host.slice(`${service}.${region}.`.length);
      }),
    );
    expect([...domains].sort()).toEqual(SDK_ENDPOINT_DOMAINS);
    expect(fixture.domain_suffixes).toEqual(SDK_ENDPOINT_DOMAINS);
  });
});
