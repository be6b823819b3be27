import * as z from "zod/mini";
import { lazy } from "../config/zod";
import { IncompleteAnswerError } from "./errors";
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
type Server = z.infer<ReturnType<typeof ServerSchema>>;
export const DetailSchema = lazy(() => z.looseObject({ servers: z.nullish(z.array(ServerSchema())) }));

/** ECS accepts at most 100 ids in one `server_id` filter. */
export const SERVER_BATCH = 100;

/** The private (fixed) IPv4 of a server, the primary one first. */
export function privateIpv4(server: Server): string | undefined {
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

/**
 * What ECS said of the servers asked for: a value for each it answered with one, and, when its answers
 * left some ids out even when asked again, the error that names them.
 */
export interface ServerLookup<T> {
  found: Map<string, T>;
  /** Transient; undefined when every id was answered (with details, or a `fault` for an unknown id). */
  missing: IncompleteAnswerError | undefined;
}

export class EcsClient {
  constructor(private readonly http: CloudHttp) {}

  /** One ListServersDetails call per 100 ids; the servers answered, `fault` entries included. */
  private async listByIds(serverIds: readonly string[]): Promise<Server[]> {
    const out: Server[] = [];
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
      out.push(...(body.servers ?? []));
    }
    return out;
  }

  /**
   * Details of the servers with these ids. An id the answers leave out altogether is asked for once
   * more, alone with the others left out; one still missing then is named in `missing`. An id ECS does
   * not know comes back with a `fault` and is simply not found; so are ids nobody asked for.
   */
  private async details(serverIds: readonly string[]): Promise<{ servers: Server[]; missing: string[] }> {
    const asked = [...new Set(serverIds)];
    const answered = new Map<string, Server>();
    const take = (servers: readonly Server[], of: readonly string[]) => {
      const wanted = new Set(of);
      for (const server of servers)
        if (wanted.has(server.id) && !answered.has(server.id)) answered.set(server.id, server);
    };
    take(await this.listByIds(asked), asked);
    const left = asked.filter((id) => !answered.has(id));
    if (left.length > 0) take(await this.listByIds(left), left);
    return {
      servers: [...answered.values()].filter((server) => !server.fault),
      missing: asked.filter((id) => !answered.has(id)),
    };
  }

  private async lookUp<T>(
    operation: string,
    serverIds: readonly string[],
    read: (server: Server) => T | undefined,
  ): Promise<ServerLookup<T>> {
    const { servers, missing } = await this.details(serverIds);
    const found = new Map<string, T>();
    for (const server of servers) {
      const value = read(server);
      if (value !== undefined) found.set(server.id, value);
    }
    return {
      found,
      missing: missing.length > 0 ? new IncompleteAnswerError("ecs", operation, missing) : undefined,
    };
  }

  /** Private IPv4 per server id; a server ECS does not know, or without one, is not found. */
  privateAddresses(serverIds: readonly string[]): Promise<ServerLookup<string>> {
    return this.lookUp("privateAddresses", serverIds, privateIpv4);
  }

  /** Tags per server id (key → value); a server ECS does not know is not found. */
  serverTags(serverIds: readonly string[]): Promise<ServerLookup<Map<string, string>>> {
    return this.lookUp("serverTags", serverIds, (server) => parseServerTags(server.tags));
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
