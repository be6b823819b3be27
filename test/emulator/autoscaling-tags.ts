import type { EmulatorContext } from "./context";
import { asError } from "./errors";
import type { ApiRequest, ApiResponse } from "./http";
import type { ScalingGroup } from "./state";
import { isRecord } from "./validators";

/**
 * AS group tags: `POST …/scaling_group_tag/resource_instances/action` (query by tag) and
 * `GET …/scaling_group_tag/{id}/tags`. Rules from the official Go SDK models (`QueryTagsOption`,
 * `TagsMultiValue`, `ListResourceInstancesResponse`) and the AS API reference ("Querying Resources by
 * Tag", as_06_1004): `action` is `filter` or `count`; `limit` and `offset` are strings of digits,
 * `limit` 1–1000 (default 1000); at most 10 filter keys, none repeated, none empty; an empty `values`
 * list means any value, several values match any of them, and a value starting with `*` matches by
 * substring. Resources come newest first.
 */

const MAX_LIMIT = 1000;
const FILTERS = ["tags", "tags_any", "not_tags", "not_tags_any"] as const;

function invalid(name: string) {
  return asError(400, "AS.4001", `The value of parameter ${name} is invalid.`);
}

interface Filter {
  key: string;
  values: string[];
}

function readFilters(body: Record<string, unknown>, name: (typeof FILTERS)[number]): Filter[] | undefined {
  const raw = body[name];
  if (raw === undefined) return undefined;
  if (!Array.isArray(raw) || raw.length > 10) throw invalid(name);
  const filters = raw.map((f): Filter => {
    if (!isRecord(f) || typeof f.key !== "string" || f.key.trim() === "") throw invalid(`${name}.key`);
    if (!Array.isArray(f.values) || f.values.length > 10) throw invalid(`${name}.values`);
    for (const v of f.values) {
      if (typeof v !== "string" || v.length > 43 || v === "*") throw invalid(`${name}.values`);
    }
    if (new Set(f.values).size !== f.values.length) throw invalid(`${name}.values`);
    return { key: f.key, values: f.values as string[] };
  });
  if (new Set(filters.map((f) => f.key)).size !== filters.length) throw invalid(`${name}.key`);
  return filters;
}

function digits(body: Record<string, unknown>, name: string, fallback: number, min: number, max: number) {
  const raw = body[name];
  if (raw === undefined) return fallback;
  if (typeof raw !== "string" || !/^\d+$/.test(raw)) throw invalid(name);
  const n = Number(raw);
  if (n < min || n > max) throw invalid(name);
  return n;
}

function matches(g: ScalingGroup, f: Filter): boolean {
  const tag = g.tags.find((t) => t.key === f.key);
  if (!tag) return false;
  if (f.values.length === 0) return true;
  return f.values.some((v) => (v.startsWith("*") ? tag.value.includes(v.slice(1)) : tag.value === v));
}

export function queryByTag(ctx: EmulatorContext, req: ApiRequest): ApiResponse {
  if (req.jsonError || !isRecord(req.body)) throw invalid("body");
  const body = req.body;
  if (body.action !== "filter" && body.action !== "count") throw invalid("action");
  const [all, any, none, notAny] = FILTERS.map((name) => readFilters(body, name));
  const selected = [...ctx.world.scalingGroups.values()]
    .filter(
      (g) =>
        (all === undefined || all.every((f) => matches(g, f))) &&
        (any === undefined || any.length === 0 || any.some((f) => matches(g, f))) &&
        (none === undefined || none.length === 0 || !none.every((f) => matches(g, f))) &&
        (notAny === undefined || !notAny.some((f) => matches(g, f))),
    )
    .sort((a, b) => b.created - a.created);
  if (body.action === "count") return { status: 200, body: { total_count: selected.length } };
  const limit = Math.min(
    digits(body, "limit", MAX_LIMIT, 1, MAX_LIMIT),
    ctx.options.pageSizeCap ?? MAX_LIMIT,
  );
  const offset = digits(body, "offset", 0, 0, Number.MAX_SAFE_INTEGER);
  return {
    status: 200,
    body: {
      resources: selected.slice(offset, offset + limit).map((g) => ({
        resource_id: g.scaling_group_id,
        resource_detail: null,
        resource_name: g.scaling_group_name,
        tags: g.tags.map((t) => ({ key: t.key, value: t.value })),
      })),
      total_count: selected.length,
    },
  };
}

export function groupTags(ctx: EmulatorContext, groupId: string): ApiResponse {
  const g = ctx.world.scalingGroups.get(groupId);
  if (!g) throw asError(404, "AS.2007", "The AS group does not exist.");
  return { status: 200, body: { tags: g.tags.map((t) => ({ key: t.key, value: t.value })), sys_tags: [] } };
}
