import * as z from "zod";
import type { CloudHttp } from "./http";
import { paths } from "./paths";

const AddressSchema = z.looseObject({
  version: z.union([z.string(), z.number()]).nullish(),
  addr: z.string(),
  "OS-EXT-IPS:type": z.string().nullish(),
  primary: z.boolean().nullish(),
});
const ServerSchema = z.looseObject({
  id: z.string(),
  addresses: z.record(z.string(), z.array(AddressSchema)).nullish(),
});
const DetailSchema = z.looseObject({ servers: z.array(ServerSchema).nullish() });

/** ECS accepts at most 100 ids in one `server_id` filter. */
export const SERVER_BATCH = 100;

/** The private (fixed) IPv4 of a server, the primary one first. */
export function privateIpv4(server: z.infer<typeof ServerSchema>): string | undefined {
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
      const res = await this.http.request<unknown>({
        service: "ecs",
        operation: "listServers",
        method: "GET",
        path: paths.serversDetail(this.http.projectId),
        query: { server_id: batch.join(","), limit: SERVER_BATCH },
        schema: DetailSchema,
      });
      const parsed = DetailSchema.safeParse(res.body);
      if (!parsed.success) throw new Error("listServers: unexpected response shape");
      for (const server of parsed.data.servers ?? []) {
        const ip = privateIpv4(server);
        if (ip) out.set(server.id, ip);
      }
    }
    return out;
  }
}
