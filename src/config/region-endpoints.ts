import type { Service } from "./keys";

/**
 * The default endpoints of the official Huawei Cloud SDKs' region tables, for every service the
 * functions call: huaweicloud-sdk-go-v3 `services/<service>/<version>/region/region.go` (as/v1, ecs/v2,
 * smn/v2, functiongraph/v2, apig/v2, roma/v2), the same tables as the Node SDK's `<Service>Region.ts`.
 * Almost every entry is `https://<service>.<region>.myhuaweicloud.com`, so only what differs is written
 * down: the regions each table lacks, and the entries on another domain.
 * test/config/region-endpoints.test.ts holds this to the tables entry for entry.
 *
 * The SDKs, not the Terraform provider, decide the domain: the provider puts every service of the
 * eu-west-1xx regions on `myhuaweicloud.eu`, while the SDKs keep AS, ECS and FunctionGraph of eu-west-101
 * on `myhuaweicloud.com` and move only SMN and APIG.
 */

const COMMON_DOMAIN = "myhuaweicloud.com";

/** Every region that at least one of the tables lists. */
const REGIONS: ReadonlySet<string> = new Set(
  (
    "ae-ad-1 af-north-1 af-south-1 ap-southeast-1 ap-southeast-2 ap-southeast-3 ap-southeast-4 " +
    "ap-southeast-5 cn-east-2 cn-east-3 cn-east-4 cn-east-5 cn-north-1 cn-north-11 cn-north-12 cn-north-2 " +
    "cn-north-4 cn-north-9 cn-south-1 cn-south-2 cn-south-4 cn-southwest-2 cn-southwest-3 eu-west-0 " +
    "eu-west-101 la-north-2 la-south-2 me-east-1 my-kualalumpur-1 na-mexico-1 ru-moscow-1 ru-northwest-2 " +
    "sa-brazil-1 tr-west-1"
  ).split(" "),
);

/** The regions of REGIONS that a service's table does not list. */
const LACKS: Record<Service, ReadonlySet<string>> = {
  as: new Set(["ae-ad-1"]),
  ecs: new Set(["ru-northwest-2"]),
  smn: new Set(["ru-northwest-2"]),
  functiongraph: new Set(
    "af-north-1 cn-east-5 cn-north-12 cn-north-2 cn-south-2 eu-west-0 ru-northwest-2".split(" "),
  ),
  apig: new Set(),
  // ROMA Connect is offered in few regions: its table lists eight.
  roma: new Set(
    (
      "ae-ad-1 af-north-1 af-south-1 ap-southeast-2 ap-southeast-4 ap-southeast-5 cn-east-4 cn-east-5 " +
      "cn-north-11 cn-north-12 cn-north-2 cn-north-9 cn-south-2 cn-south-4 cn-southwest-2 cn-southwest-3 " +
      "eu-west-0 eu-west-101 la-north-2 la-south-2 me-east-1 my-kualalumpur-1 na-mexico-1 ru-moscow-1 " +
      "sa-brazil-1 tr-west-1"
    ).split(" "),
  ),
};

/** Entries on a domain other than COMMON_DOMAIN (the host is still `<service>.<region>.<domain>`). */
const OTHER_DOMAIN: Partial<Record<Service, ReadonlyMap<string, string>>> = {
  as: new Map([["ap-southeast-1", "myhwclouds.com"]]),
  smn: new Map([
    ["cn-north-2", "myhuaweicloud.cn"],
    ["eu-west-101", "myhuaweicloud.eu"],
  ]),
  apig: new Map([["eu-west-101", "myhuaweicloud.eu"]]),
};

/**
 * The domains the SDKs' endpoints are under. An endpoint override to a host under none of them is
 * refused unless ALLOW_CUSTOM_ENDPOINTS=true (./endpoint-url.ts).
 */
export const SDK_ENDPOINT_DOMAINS: readonly string[] = [
  ...new Set([COMMON_DOMAIN, ...Object.values(OTHER_DOMAIN).flatMap((m) => [...m.values()])]),
].sort();

export interface DefaultEndpoint {
  url: string;
  /** False when the service's SDK table has no entry for the region: the URL is the common pattern. */
  listed: boolean;
}

/**
 * A service's endpoint in a region as the official SDKs list it; a region the service's table lacks
 * gets the common pattern `https://<service>.<region>.myhuaweicloud.com`, marked unlisted.
 */
export function defaultEndpoint(service: Service, region: string): DefaultEndpoint {
  const listed = REGIONS.has(region) && !LACKS[service].has(region);
  const domain = (listed && OTHER_DOMAIN[service]?.get(region)) || COMMON_DOMAIN;
  return { url: `https://${service}.${region}.${domain}`, listed };
}
