import * as z from "zod/mini";
import { lazy } from "../config/zod";
import type { CloudHttp } from "./http";
import { PageGuard } from "./paging";
import { isCloudId, paths } from "./paths";

/**
 * AS group tags (official Go SDK `services/as/v1/as_meta.go`: `ListResourceInstances` and
 * `ListScalingTagInfosByResourceId`; models `QueryTagsOption`, `ListResourceInstancesResponse`,
 * `Resources`, `ResourceTags`; AS API reference "Querying Resources by Tag" and "Querying Tags of a
 * Resource", as_06_1004 / as_06_1002).
 */

const TagSchema = lazy(() => z.looseObject({ key: z.string(), value: z.nullish(z.string()) }));
export type GroupTag = z.infer<ReturnType<typeof TagSchema>>;

export const ResourcePageSchema = lazy(() =>
  z
    .looseObject({
      resources: z.nullish(
        z.array(
          z.looseObject({
            // It becomes a binding's scaling group, and a path segment: a listing with a non-id in it is
            // not to be trusted at all.
            resource_id: z.string().check(z.refine(isCloudId, "resource_id is not an id")),
            resource_name: z.nullish(z.string()),
            tags: z.nullish(z.array(TagSchema())),
          }),
        ),
      ),
      total_count: z.nullish(z.number()),
    })
    // Read as "no groups", a page without the list would unbind every tagged group.
    .check(z.refine((p) => Array.isArray(p.resources) || p.total_count === 0, "resources is missing")),
);

export const GroupTagsSchema = lazy(() => z.looseObject({ tags: z.nullish(z.array(TagSchema())) }));

export interface TaggedGroup {
  scaling_group_id: string;
  scaling_group_name: string | undefined;
  tags: GroupTag[];
}

/** The query API's largest page (`limit` "最多为1000"). */
export const TAG_QUERY_PAGE_SIZE = 1000;

/** A `tags` filter entry: an empty `values` list means any value. */
export interface TagFilter {
  key: string;
  values: string[];
}

export class AutoScalingTagsClient {
  constructor(private readonly http: CloudHttp) {}

  /**
   * Every scaling group carrying all the filter's tags, page by page (`limit` and `offset` are strings),
   * each group once however many pages list it; a listing that does not add up stops with
   * PAGING_INCONSISTENT (./paging.ts), like every other listing.
   */
  async listGroupsByTags(filter: readonly TagFilter[]): Promise<TaggedGroup[]> {
    const all: TaggedGroup[] = [];
    const guard = new PageGuard("as", "listGroupsByTag", TAG_QUERY_PAGE_SIZE);
    for (;;) {
      const offset = guard.offset;
      const { body } = await this.http.request({
        service: "as",
        operation: "listGroupsByTag",
        method: "POST",
        readOnly: true,
        path: paths.groupsByTag(this.http.projectId),
        body: {
          action: "filter",
          tags: filter,
          limit: String(TAG_QUERY_PAGE_SIZE),
          ...(offset > 0 && { offset: String(offset) }),
        },
        schema: ResourcePageSchema(),
      });
      const { more, fresh } = guard.read(
        body.resources ?? [],
        (r) => r.resource_id,
        body.total_count ?? undefined,
      );
      for (const r of fresh) {
        all.push({
          scaling_group_id: r.resource_id,
          scaling_group_name: r.resource_name ?? undefined,
          tags: r.tags ?? [],
        });
      }
      if (!more) return all;
    }
  }

  async listGroupTags(groupId: string): Promise<GroupTag[]> {
    const { body } = await this.http.request({
      service: "as",
      operation: "listGroupTags",
      method: "GET",
      path: paths.groupTags(this.http.projectId, groupId),
      schema: GroupTagsSchema(),
    });
    return body.tags ?? [];
  }
}
