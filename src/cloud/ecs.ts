import * as z from "zod/mini";
import { lazy } from "../config/zod";
import type { CloudHttp } from "./http";
import { paths } from "./paths";

// Built on first use (src/config/zod.ts): only ip channels ever look addresses up.
const AddressSchema = lazy(() =>
  z.looseObject({
    version: z.nullish(z.union([z.string(), z.number()])),
    addr: z.string(),
    "OS-EXT-IPS:type": z.nullish(z.string()),
    primary: z.nullish(z.boolean()),
  }),
);
const ServerSchema = lazy(() =>
  z.looseObject({
    id: z.string(),
    addresses: z.nullish(z.record(z.string(), z.array(AddressSchema()))),
  }),
);
const DetailSchema = lazy(() => z.looseObject({ servers: z.nullish(z.array(ServerSchema())) }));

/** ECS accepts at most 100 ids in one `server_id` filter. */
export const SERVER_BATCH = 100;

/** The private (fixed) IPv4 of a server, the primary one first. */
export function privateIpv4(server: z.infer<ReturnType<typeof ServerSchema>>): string | undefined {
  const fixed = Object.values(server.addresses ?? {})
    .flat()
    .filter((a) => String(a.version ?? "4") === "4" && (a["OS-EXT-IPS:type"] ?? "fixed") === "fixed");
  return (fixed.find((a) => a.primary) ?? fixed[0])?.addr;
}

export class EcsClient {
  constructor(private readonly http: CloudHttp) {}

  /** Private IPv4 per server id; ids ECS does not know are absent from the map. */
  async privateAddresses(serverIds: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (let i = 0; i < serverIds.length; i += SERVER_BATCH) {
      const batch = serverIds.slice(i, i + SERVER_BATCH);
      const { body } = await this.http.request({
        service: "ecs",
        operation: "listServers",
        method: "GET",
        path: paths.serversDetail(this.http.projectId),
        query: { server_id: batch.join(","), limit: SERVER_BATCH },
        schema: DetailSchema(),
      });
      for (const server of body.servers ?? []) {
        const ip = privateIpv4(server);
        if (ip) out.set(server.id, ip);
      }
    }
    return out;
  }
}
