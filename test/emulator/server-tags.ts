import type { EmulatorContext } from "./context";
import { ApiError } from "./errors";
import type { ApiRequest, ApiResponse } from "./http";

/**
 * ECS server tags: `POST /v1/{project_id}/cloudservers/{server_id}/tags/action` with `{"action": "create"|
 * "delete", "tags": [{key, value}]}` (Go SDK ecs_meta.go BatchCreateServerTags / BatchDeleteServerTags;
 * ECS API reference: both idempotent, an existing key takes the new value, deleting a missing tag
 * succeeds, at most 10 tags a server, keys ≤ 36 characters of A-Z a-z 0-9 - _, values ≤ 43 of
 * A-Z a-z 0-9 . - _). ListServersDetails shows them as `key=value` strings.
 */

const MAX_TAGS = 10;
const KEY = /^[A-Za-z0-9_-]{1,36}$/;
const VALUE = /^[A-Za-z0-9._-]{0,43}$/;

function badRequest(message: string): ApiError {
  return new ApiError(400, { error: { code: "Ecs.0005", message } });
}

export function serverTagsAction(ctx: EmulatorContext, serverId: string, req: ApiRequest): ApiResponse {
  const server = ctx.world.servers.get(serverId);
  if (!server) {
    throw new ApiError(404, {
      itemNotFound: { code: 404, message: `Instance ${serverId} could not be found.` },
    });
  }
  const body = req.body as { action?: unknown; tags?: unknown } | undefined;
  if (req.jsonError || typeof body !== "object" || body === null) throw badRequest("Request body error");
  if (body.action !== "create" && body.action !== "delete") {
    throw badRequest("action must be create or delete (lower case)");
  }
  if (!Array.isArray(body.tags) || body.tags.length === 0) throw badRequest("tags must be a non-empty list");
  const tags = body.tags.map((t: unknown) => {
    const { key, value } = (t ?? {}) as { key?: unknown; value?: unknown };
    if (typeof key !== "string" || !KEY.test(key)) throw badRequest(`invalid tag key: ${String(key)}`);
    if (value !== undefined && (typeof value !== "string" || !VALUE.test(value))) {
      throw badRequest(`invalid tag value for key ${key}`);
    }
    return { key, value: (value as string | undefined) ?? "" };
  });
  const current = { ...(server.tags ?? {}) };
  if (body.action === "create") {
    for (const t of tags) current[t.key] = t.value;
    if (Object.keys(current).length > MAX_TAGS) throw badRequest(`a server holds at most ${MAX_TAGS} tags`);
  } else {
    for (const t of tags) delete current[t.key];
  }
  server.tags = current;
  return { status: 204 };
}

/** `key=value` strings, as ListServersDetails reports a server's tags. */
export function tagStrings(tags: Record<string, string> | undefined): string[] {
  return Object.entries(tags ?? {}).map(([k, v]) => `${k}=${v}`);
}
