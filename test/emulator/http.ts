import type { IncomingMessage, ServerResponse } from "node:http";
import type { DeletedMember, Trap } from "./types";

export type QueryRecord = Record<string, string | string[]>;

/** A request as handlers see it: decoded path parameters, decoded query, parsed body. */
export interface ApiRequest {
  /** Decoded path segments after the service prefix (`/v2/{project_id}/` etc.). */
  params: string[];
  query: QueryRecord;
  /** Parsed JSON; undefined for an empty body or when the body is not JSON (see `rawText`). */
  body: unknown;
  rawText: string;
  jsonError: boolean;
}

export interface ApiResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  traps?: Trap[];
  /** Copied to the call log entry (a member DELETE). */
  deleted?: DeletedMember;
}

/** A matched API operation. `channelKey` marks a gateway write, serialised per channel. */
export interface Route {
  handle(req: ApiRequest): ApiResponse;
  channelKey?: string;
}

/** Maps a method and the decoded path segments after a service prefix to an operation. */
export type Router = (method: string, params: string[]) => Route | undefined;

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/** `a=1&b=x%20y` → [["a","1"],["b","x y"]]; `+` is a space, like URLSearchParams. */
export function parseQueryPairs(rawQuery: string): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (const part of rawQuery.split("&")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    const key = eq < 0 ? part : part.slice(0, eq);
    const value = eq < 0 ? "" : part.slice(eq + 1);
    pairs.push([decodeQueryComponent(key), decodeQueryComponent(value)]);
  }
  return pairs;
}

export function queryRecord(pairs: Array<[string, string]>): QueryRecord {
  const record: QueryRecord = {};
  for (const [key, value] of pairs) {
    const prior = record[key];
    if (prior === undefined) record[key] = value;
    else record[key] = Array.isArray(prior) ? [...prior, value] : [prior, value];
  }
  return record;
}

/** The last value of a query parameter. */
export function queryValue(query: QueryRecord, name: string): string | undefined {
  const value = query[name];
  return Array.isArray(value) ? value[value.length - 1] : value;
}

export function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function decodeQueryComponent(text: string): string {
  return decodeSegment(text.replace(/\+/g, " "));
}

export function writeResponse(res: ServerResponse, response: ApiResponse, requestId: string): void {
  if (res.destroyed) return;
  const headers: Record<string, string> = { "X-Request-Id": requestId, ...response.headers };
  if (response.status === 204 || response.body === undefined) {
    res.writeHead(response.status, headers).end();
    return;
  }
  const text = typeof response.body === "string" ? response.body : JSON.stringify(response.body);
  res
    .writeHead(response.status, {
      "Content-Type": "application/json;charset=UTF-8",
      "Content-Length": String(Buffer.byteLength(text)),
      ...headers,
    })
    .end(text);
}

export function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}
