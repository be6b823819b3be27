import * as z from "zod/mini";
import { lazy } from "../config/zod";
import type { CloudHttp } from "./http";
import { hasMorePages } from "./paging";
import { paths } from "./paths";

/**
 * AS group tags (official Go SDK `services/as/v1/as_meta.go`: `ListResourceInstances` and
 * `ListScalingTagInfosByResourceId`; models `QueryTagsOption`, `ListResourceInstancesResponse`,
 * `Resources`, `ResourceTags`; AS API reference "Querying Resources by Tag" and "Querying Tags of a
 * Resource", as_06_1004 / as_06_1002).
 */

const TagSchema = lazy(() => z.looseObject({ key: z.string(), value: z.nullish(z.string()) }));
export type GroupTag = z.infer<ReturnType<typeof TagSchema>>;

const ResourcePageSchema = lazy(() =>
  z
    .looseObject({
      resources: z.nullish(
        z.array(
          z.looseObject({
            resource_id: z.string(),
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

const GroupTagsSchema = lazy(() => z.looseObject({ tags: z.nullish(z.array(TagSchema())) }));

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

  /** Every scaling group carrying all the filter's tags, page by page (`limit` and `offset` are strings). */
  async listGroupsByTags(filter: readonly TagFilter[]): Promise<TaggedGroup[]> {
    const all: TaggedGroup[] = [];
    for (let offset = 0; ; ) {
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
      const page = body.resources ?? [];
      for (const r of page) {
        all.push({
          scaling_group_id: r.resource_id,
          scaling_group_name: r.resource_name ?? undefined,
          tags: r.tags ?? [],
        });
      }
      offset += page.length;
      if (!hasMorePages(offset, page.length, TAG_QUERY_PAGE_SIZE, body.total_count ?? undefined)) return all;
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
