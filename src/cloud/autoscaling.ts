import * as z from "zod/mini";
import { lazy } from "../config/zod";
import type { CloudHttp } from "./http";
import { PageGuard } from "./paging";
import { paths } from "./paths";

// Response schemas are built on first use (src/config/zod.ts).

export const GroupInstanceSchema = lazy(() =>
  z.looseObject({
    instance_id: z.string(),
    instance_name: z.nullish(z.string()),
    life_cycle_state: z.nullish(z.string()),
    health_status: z.nullish(z.string()),
    create_time: z.nullish(z.string()),
  }),
);
export type GroupInstance = z.infer<ReturnType<typeof GroupInstanceSchema>> & { scaling_group_id: string };

const InstancePageSchema = lazy(() =>
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

export const HangingHookSchema = lazy(() =>
  z.looseObject({
    instance_id: z.string(),
    lifecycle_action_key: z.nullish(z.string()),
    lifecycle_hook_name: z.string(),
    lifecycle_hook_status: z.nullish(z.string()),
    timeout: z.nullish(z.string()),
    default_result: z.nullish(z.string()),
  }),
);
export type HangingHook = z.infer<ReturnType<typeof HangingHookSchema>> & { scaling_group_id: string };

const HangingListSchema = lazy(() =>
  z.looseObject({ instance_hanging_info: z.nullish(z.array(HangingHookSchema())) }),
);

export type HookResult = "CONTINUE" | "ABANDON";

/** AS lists at most 100 instances a page. */
export const INSTANCE_PAGE_SIZE = 100;

/** Auto Scaling v1: group instances and lifecycle hooks. */
export class AutoScalingClient {
  constructor(private readonly http: CloudHttp) {}

  /** Every instance of the group; `onFirstPage` sees the first page as soon as it arrives. */
  async listGroupInstances(
    groupId: string,
    onFirstPage?: (page: readonly GroupInstance[]) => void,
  ): Promise<GroupInstance[]> {
    const all: GroupInstance[] = [];
    const guard = new PageGuard("as", "listGroupInstances", INSTANCE_PAGE_SIZE);
    for (let firstPage = true; ; ) {
      const { body } = await this.http.request({
        service: "as",
        operation: "listGroupInstances",
        method: "GET",
        path: paths.groupInstances(this.http.projectId, groupId),
        query: { start_number: guard.offset, limit: INSTANCE_PAGE_SIZE },
        schema: InstancePageSchema(),
      });
      const page = body.scaling_group_instances ?? [];
      const { more, fresh } = guard.read(page, (i) => i.instance_id, body.total_number ?? undefined);
      for (const i of fresh) all.push({ ...i, scaling_group_id: groupId });
      if (firstPage) onFirstPage?.([...all]);
      firstPage = false;
      if (!more) return all;
    }
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
    return (body.instance_hanging_info ?? [])
      .filter((h) => (h.lifecycle_hook_status ?? "HANGING") === "HANGING")
      .map((h) => ({ ...h, scaling_group_id: groupId }));
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
