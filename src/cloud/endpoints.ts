import type { Service } from "../config/keys";
import { defaultEndpoint } from "../config/region-endpoints";

export type { Service };

export const SERVICES: readonly Service[] = ["roma", "apig", "as", "ecs", "smn", "functiongraph"];

/** Where a service's calls go, and why there. */
export interface ResolvedEndpoint {
  url: string;
  /** `override`: an *_ENDPOINT variable; `sdk`: the SDK's region table; `fallback`: a region the table lacks. */
  source: "override" | "sdk" | "fallback";
}

/**
 * A service's endpoint: the override when the configuration has one, else the region's entry in the
 * SDK's table, else the common pattern; undefined without either (configuration validation already
 * refused a run that needs it). Pure: nothing is logged here.
 */
export function resolveEndpoint(
  service: Service,
  region: string | undefined,
  overrides: Partial<Record<Service, string>>,
): ResolvedEndpoint | undefined {
  const override = overrides[service];
  if (override !== undefined) return { url: override, source: "override" };
  if (region === undefined) return undefined;
  const { url, listed } = defaultEndpoint(service, region);
  return { url, source: listed ? "sdk" : "fallback" };
}

/**
 * The endpoint of each service, resolved on the first call to it and kept: a run that never calls a
 * service never looks its endpoint up, so a region SMN's table lacks costs nothing (not even a warning)
 * to a run that publishes no dead letter. `onFallback` hears once of each service whose endpoint is the
 * common pattern because its table lacks the region.
 */
export function endpointResolver(
  region: string | undefined,
  overrides: Partial<Record<Service, string>>,
  onFallback: (service: Service, url: string) => void,
): (service: Service) => string | undefined {
  const resolved = new Map<Service, string | undefined>();
  return (service) => {
    if (resolved.has(service)) return resolved.get(service);
    const endpoint = resolveEndpoint(service, region, overrides);
    resolved.set(service, endpoint?.url);
    if (endpoint?.source === "fallback") onFallback(service, endpoint.url);
    return endpoint?.url;
  };
}
