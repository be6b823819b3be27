import type { Service } from "../config/load";

export type { Service };

export const SERVICES: readonly Service[] = ["roma", "apig", "as", "ecs", "smn", "functiongraph"];

const HOST_PREFIX: Record<Service, string> = {
  roma: "roma",
  apig: "apig",
  as: "as",
  ecs: "ecs",
  smn: "smn",
  functiongraph: "functiongraph",
};

/**
 * Regions whose endpoint does not follow `https://<svc>.<region>.myhuaweicloud.com`, as the official Go
 * SDK's region tables list them: huaweicloud-sdk-go-v3 `services/as/v1/region/region.go` (AP_SOUTHEAST_1)
 * and `services/apig/v2/region/region.go` (EU_WEST_101).
 */
const EXCEPTIONS: Partial<Record<Service, Record<string, string>>> = {
  as: { "ap-southeast-1": "https://as.ap-southeast-1.myhwclouds.com" },
  apig: { "eu-west-101": "https://apig.eu-west-101.myhuaweicloud.eu" },
};

/** The public endpoint of a service in a region; sovereign partitions override it with *_ENDPOINT variables. */
export function defaultEndpoint(service: Service, region: string): string {
  return EXCEPTIONS[service]?.[region] ?? `https://${HOST_PREFIX[service]}.${region}.myhuaweicloud.com`;
}

/**
 * Every service's endpoint: the override when the configuration has one, else the region's default,
 * else undefined (configuration validation already refused a run that needs it).
 */
export function resolveEndpoints(
  region: string | undefined,
  overrides: Partial<Record<Service, string>>,
): Record<Service, string | undefined> {
  const endpoints = {} as Record<Service, string | undefined>;
  for (const service of SERVICES) {
    endpoints[service] =
      overrides[service] ?? (region === undefined ? undefined : defaultEndpoint(service, region));
  }
  return endpoints;
}
