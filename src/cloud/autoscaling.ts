import * as z from "zod/mini";
import { lazy } from "../config/zod";
import type { Logger } from "../observability/logger";
import type { CloudHttp } from "./http";
import { PageGuard } from "./paging";
import { paths } from "./paths";

// Response schemas are built on first use (src/config/zod.ts).

/**
 * One record of a group's instance list. `instance_id` is optional in the official model
 * (huaweicloud-sdk-go-v3 `services/as/v1/model/model_scaling_group_instance.go`, `InstanceId *string`):
 * a record without one is skipped with a warning, never the reason to refuse the page.
 */
export const GroupInstanceSchema = lazy(() =>
  z.looseObject({
    instance_id: z.nullish(z.string()),
    instance_name: z.nullish(z.string()),
    life_cycle_state: z.nullish(z.string()),
    health_status: z.nullish(z.string()),
    create_time: z.nullish(z.string()),
  }),
);
type GroupInstanceRecord = z.infer<ReturnType<typeof GroupInstanceSchema>>;
/** An instance of a group as the run uses it: one AS named by its id. */
export type GroupInstance = GroupInstanceRecord & { instance_id: string; scaling_group_id: string };

export const InstancePageSchema = lazy(() =>
  z
    .looseObject({
      total_number: z.nullish(z.number()),
      scaling_group_instances: z.nullish(z.array(GroupInstanceSchema())),
    })
    // Read as "no instances", a page without the list would remove every member: it must say so itself.
    .check(
      z.refine(
        (p) => Array.isArray(p.scaling_group_instances) || p.total_number === 0,
        "scaling_group_instances is missing",
      ),
    ),
);

/**
 * One hanging lifecycle action. `instance_id` is optional in the official model too
 * (huaweicloud-sdk-go-v3 `services/as/v1/model/model_instance_hanging_infos.go`, `InstanceId *string`):
 * a record without one is skipped with a warning, as in the instance listing.
 */
export const HangingHookSchema = lazy(() =>
  z.looseObject({
    instance_id: z.nullish(z.string()),
    lifecycle_action_key: z.nullish(z.string()),
    lifecycle_hook_name: z.string(),
    lifecycle_hook_status: z.nullish(z.string()),
    timeout: z.nullish(z.string()),
    default_result: z.nullish(z.string()),
  }),
);
export type HangingHook = z.infer<ReturnType<typeof HangingHookSchema>> & {
  instance_id: string;
  scaling_group_id: string;
};

export const HangingListSchema = lazy(() =>
  z.looseObject({ instance_hanging_info: z.nullish(z.array(HangingHookSchema())) }),
);

export type HookResult = "CONTINUE" | "ABANDON";

/** AS lists at most 100 instances a page. */
export const INSTANCE_PAGE_SIZE = 100;

/** A group's instance listing: the instances it named, and how many records it held without an id. */
export interface InstanceListing {
  instances: GroupInstance[];
  /**
   * Records without an `instance_id`: instances the listing cannot name. While there are any, no member
   * can be proven stray (it may be one of theirs).
   */
  unidentified: number;
}

/** Auto Scaling v1: group instances and lifecycle hooks. */
export class AutoScalingClient {
  constructor(
    private readonly http: CloudHttp,
    private readonly logger: Logger,
  ) {}

  /** Every instance of the group (see readGroupInstances). */
  async listGroupInstances(groupId: string): Promise<GroupInstance[]> {
    return (await this.readGroupInstances(groupId)).instances;
  }

  /**
   * Every instance of the group, and how many records had no id; `onPage` sees each page's new
   * instances as soon as it arrives, so that a caller can start a read the first pages prove it needs.
   */
  async readGroupInstances(
    groupId: string,
    onPage?: (fresh: readonly GroupInstance[]) => void,
  ): Promise<InstanceListing> {
    const all: GroupInstance[] = [];
    const guard = new PageGuard("as", "listGroupInstances", INSTANCE_PAGE_SIZE);
    let withoutId = 0;
    for (;;) {
      const { body } = await this.http.request({
        service: "as",
        operation: "listGroupInstances",
        method: "GET",
        path: paths.groupInstances(this.http.projectId, groupId),
        query: { start_number: guard.offset, limit: INSTANCE_PAGE_SIZE },
        schema: InstancePageSchema(),
      });
      const page = body.scaling_group_instances ?? [];
      // A record without an id still takes its place on the page: the offset counts it.
      const { more, fresh } = guard.read(
        page,
        (i) => i.instance_id || undefined,
        body.total_number ?? undefined,
      );
      const named = fresh.map((i) => ({ ...i, instance_id: i.instance_id!, scaling_group_id: groupId }));
      all.push(...named);
      withoutId += page.length - page.filter((i) => i.instance_id).length;
      onPage?.(named);
      if (!more) break;
    }
    if (withoutId > 0) {
      // Nothing identifies such an instance: no member, hook or standby call can name it.
      this.logger.warn("AS listed instance records without an instance_id; they are skipped", {
        action: "list_instances",
        scaling_group_id: groupId,
        records_without_id: withoutId,
      });
    }
    return { instances: all, unidentified: withoutId };
  }

  /** Instances a lifecycle hook holds right now, with their authoritative action keys. */
  async listHangingHooks(groupId: string): Promise<HangingHook[]> {
    const { body } = await this.http.request({
      service: "as",
      operation: "listHangingHooks",
      method: "GET",
      path: paths.hangingHooks(this.http.projectId, groupId),
      schema: HangingListSchema(),
    });
    const records = body.instance_hanging_info ?? [];
    const withoutId = records.filter((h) => !h.instance_id).length;
    if (withoutId > 0) {
      // Such a hook cannot be matched to an instance, so no decision could complete it: the others can.
      this.logger.warn("AS listed hanging lifecycle actions without an instance_id; they are skipped", {
        action: "list_hooks",
        scaling_group_id: groupId,
        records_without_id: withoutId,
      });
    }
    return records
      .filter((h) => h.instance_id && (h.lifecycle_hook_status ?? "HANGING") === "HANGING")
      .map((h) => ({ ...h, instance_id: h.instance_id!, scaling_group_id: groupId }));
  }

  async completeHook(hook: HangingHook, result: HookResult): Promise<void> {
    // The action key identifies the exact hanging action; instance + hook name is the documented fallback.
    const body = hook.lifecycle_action_key
      ? { lifecycle_action_result: result, lifecycle_action_key: hook.lifecycle_action_key }
      : {
          lifecycle_action_result: result,
          instance_id: hook.instance_id,
          lifecycle_hook_name: hook.lifecycle_hook_name,
        };
    await this.http.request<unknown>({
      service: "as",
      operation: "completeHook",
      method: "PUT",
      path: paths.hookCallback(this.http.projectId, hook.scaling_group_id),
      body,
    });
  }
}
