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
    /** `key=value` strings (ECS API reference, ListServersDetails example responses). */
    tags: z.nullish(z.array(z.string())),
    /** Set instead of the details for an id ECS does not know. */
    fault: z.nullish(z.looseObject({})),
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

/** A server's tags as a map; ListServersDetails lists them as `key=value` strings. */
export function parseServerTags(tags: readonly string[] | null | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const tag of tags ?? []) {
    const eq = tag.indexOf("=");
    if (eq > 0) out.set(tag.slice(0, eq), tag.slice(eq + 1));
    else if (tag !== "") out.set(tag, "");
  }
  return out;
}

export class EcsClient {
  constructor(private readonly http: CloudHttp) {}

  /** Details of the servers with these ids, 100 ids a call; ids ECS does not know are left out. */
  private async details(serverIds: readonly string[]): Promise<z.infer<ReturnType<typeof ServerSchema>>[]> {
    const out: z.infer<ReturnType<typeof ServerSchema>>[] = [];
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
      for (const server of body.servers ?? []) if (!server.fault) out.push(server);
    }
    return out;
  }

  /** Private IPv4 per server id; ids ECS does not know are absent from the map. */
  async privateAddresses(serverIds: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const server of await this.details(serverIds)) {
      const ip = privateIpv4(server);
      if (ip) out.set(server.id, ip);
    }
    return out;
  }

  /** Tags per server id (key → value); ids ECS does not know are absent from the map. */
  async serverTags(serverIds: readonly string[]): Promise<Map<string, Map<string, string>>> {
    const out = new Map<string, Map<string, string>>();
    for (const server of await this.details(serverIds)) out.set(server.id, parseServerTags(server.tags));
    return out;
  }

  /**
   * Sets one tag (BatchCreateServerTags: `{"action": "create", "tags": [{key, value}]}`; an existing key
   * takes the new value).
   */
  async setServerTag(serverId: string, key: string, value: string): Promise<void> {
    await this.http.request<unknown>({
      service: "ecs",
      operation: "createServerTags",
      method: "POST",
      path: paths.serverTagsAction(this.http.projectId, serverId),
      body: { action: "create", tags: [{ key, value }] },
    });
  }

  /** Removes one tag (BatchDeleteServerTags; removing a tag that is not there succeeds). */
  async deleteServerTag(serverId: string, key: string): Promise<void> {
    await this.http.request<unknown>({
      service: "ecs",
      operation: "deleteServerTags",
      method: "POST",
      path: paths.serverTagsAction(this.http.projectId, serverId),
      body: { action: "delete", tags: [{ key }] },
    });
  }
}
