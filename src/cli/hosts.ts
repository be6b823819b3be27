import { resolveEndpoint } from "../cloud/endpoints";
import { quotableHost } from "../config/endpoint-url";
import { type Config, servicesCalled } from "../config/load";
import type { Binding } from "../config/schema";

/**
 * One line naming the hosts a CLI run will call (they receive the credentials), each with the services
 * it serves, e.g. `Hosts: as.eu-west-101.myhuaweicloud.com (as), smn.eu-west-101.myhuaweicloud.eu (smn)`.
 * A default the service's SDK table does not list for the region is marked. The CLI runs as `backfill`,
 * which never fans out, so FunctionGraph is never among them.
 */
export function hostsLine(config: Config, bindings: readonly Binding[]): string {
  const services = servicesCalled(bindings, {
    deadLetters: config.deadLetterTopicUrn !== undefined,
    fanOut: false,
  });
  const byHost = new Map<string, string[]>();
  for (const service of [...services].sort()) {
    const endpoint = resolveEndpoint(service, config.region, config.endpointOverrides);
    if (!endpoint) continue;
    const label = endpoint.source === "fallback" ? `${service}: not in the SDK's region table` : service;
    const host = quotableHost(new URL(endpoint.url)) ?? "[a host that is no dotted name]";
    byHost.set(host, [...(byHost.get(host) ?? []), label]);
  }
  return `Hosts: ${[...byHost].map(([host, labels]) => `${host} (${labels.join(", ")})`).join(", ")}\n`;
}
