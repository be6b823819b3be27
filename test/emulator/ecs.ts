import type { EmulatorContext } from "./context";
import { ApiError } from "./errors";
import { type ApiRequest, type ApiResponse, queryValue, type Route, type Router } from "./http";
import type { ServerState } from "./model";
import { serverTagsAction, tagStrings } from "./server-tags";

/** ECS (`/v1/{project_id}/cloudservers/...`): server details, one by id or a batch by `server_id`; tags. */

const MAX_IDS = 100;
const DEFAULT_LIMIT = 25;
const MAX_LIMIT = 1000;
const VPC_ID = "vpc-1";

export function createEcsRouter(ctx: EmulatorContext): Router {
  return (method, params): Route | undefined => {
    const [resource, id, extra, verb] = params;
    if (method === "POST" && resource === "cloudservers" && id && extra === "tags" && verb === "action") {
      return { handle: (req) => serverTagsAction(ctx, id, req) };
    }
    if (method !== "GET" || resource !== "cloudservers" || !id || extra !== undefined) return undefined;
    if (id === "detail") return { handle: (req) => listDetails(ctx, req) };
    return { handle: () => showServer(ctx, id) };
  };
}

function badRequest(message: string): ApiError {
  return new ApiError(400, { error: { code: "Ecs.0005", message } });
}

function listDetails(ctx: EmulatorContext, req: ApiRequest): ApiResponse {
  const idList = queryValue(req.query, "server_id");
  if (idList !== undefined) {
    const ids = idList
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s !== "");
    if (ids.length > MAX_IDS) throw badRequest(`server_id accepts at most ${MAX_IDS} ids, got ${ids.length}`);
    const servers = ids.map((id) => {
      const server = ctx.world.servers.get(id);
      return server
        ? serverBody(server)
        : { id, fault: { code: 404, message: "Instance could not be found" } };
    });
    return { status: 200, body: { count: servers.length, servers } };
  }
  const limit = pageParam(req, "limit", DEFAULT_LIMIT, MAX_LIMIT);
  const page = pageParam(req, "offset", 1, Number.MAX_SAFE_INTEGER);
  const all = [...ctx.world.servers.values()];
  const servers = all.slice((page - 1) * limit, page * limit).map(serverBody);
  return { status: 200, body: { count: all.length, servers } };
}

function pageParam(req: ApiRequest, name: string, fallback: number, max: number): number {
  const text = queryValue(req.query, name);
  if (text === undefined || text === "") return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < 1 || value > max) throw badRequest(`invalid ${name}: ${text}`);
  return value;
}

function showServer(ctx: EmulatorContext, id: string): ApiResponse {
  const server = ctx.world.servers.get(id);
  if (!server) {
    throw new ApiError(404, { itemNotFound: { code: 404, message: `Instance ${id} could not be found.` } });
  }
  return { status: 200, body: { server: serverBody(server) } };
}

function serverBody(server: ServerState): Record<string, unknown> {
  const addresses =
    server.ipv4 === undefined
      ? {}
      : { [VPC_ID]: [{ version: "4", addr: server.ipv4, "OS-EXT-IPS:type": "fixed", primary: true }] };
  return {
    id: server.id,
    name: server.name,
    status: server.status,
    addresses,
    metadata: {},
    tags: tagStrings(server.tags),
  };
}
