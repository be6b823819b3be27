import * as z from "zod";
import type { CloudHttp } from "./http";
import { paths } from "./paths";

export const GroupInstanceSchema = z.looseObject({
  instance_id: z.string(),
  instance_name: z.string().nullish(),
  life_cycle_state: z.string().nullish(),
  health_status: z.string().nullish(),
  create_time: z.string().nullish(),
});
export type GroupInstance = z.infer<typeof GroupInstanceSchema> & { scaling_group_id: string };

const InstancePageSchema = z
  .looseObject({
    total_number: z.number().nullish(),
    scaling_group_instances: z.array(GroupInstanceSchema).nullish(),
  })
  // Read as "no instances", a page without the list would remove every member: it must say so itself.
  .refine(
    (p) => Array.isArray(p.scaling_group_instances) || p.total_number === 0,
    "scaling_group_instances is missing",
  );

export const HangingHookSchema = z.looseObject({
  instance_id: z.string(),
  lifecycle_action_key: z.string().nullish(),
  lifecycle_hook_name: z.string(),
  lifecycle_hook_status: z.string().nullish(),
  timeout: z.string().nullish(),
  default_result: z.string().nullish(),
});
export type HangingHook = z.infer<typeof HangingHookSchema> & { scaling_group_id: string };

const HangingListSchema = z.looseObject({ instance_hanging_info: z.array(HangingHookSchema).nullish() });

export type HookResult = "CONTINUE" | "ABANDON";

/** AS lists at most 100 instances a page. */
export const INSTANCE_PAGE_SIZE = 100;

/** Auto Scaling v1: group instances and lifecycle hooks. */
export class AutoScalingClient {
  constructor(private readonly http: CloudHttp) {}

  async listGroupInstances(groupId: string): Promise<GroupInstance[]> {
    const all: GroupInstance[] = [];
    for (let start = 0; ; start += INSTANCE_PAGE_SIZE) {
      const res = await this.http.request<unknown>({
        service: "as",
        operation: "listGroupInstances",
        method: "GET",
        path: paths.groupInstances(this.http.projectId, groupId),
        query: { start_number: start, limit: INSTANCE_PAGE_SIZE },
        schema: InstancePageSchema,
      });
      const parsed = InstancePageSchema.safeParse(res.body);
      if (!parsed.success) throw new Error("listGroupInstances: unexpected response shape");
      const page = parsed.data.scaling_group_instances ?? [];
      for (const i of page) all.push({ ...i, scaling_group_id: groupId });
      const total = parsed.data.total_number ?? undefined;
      if (page.length < INSTANCE_PAGE_SIZE || (total !== undefined && start + page.length >= total))
        return all;
    }
  }

  /** Instances a lifecycle hook holds right now, with their authoritative action keys. */
  async listHangingHooks(groupId: string): Promise<HangingHook[]> {
    const res = await this.http.request<unknown>({
      service: "as",
      operation: "listHangingHooks",
      method: "GET",
      path: paths.hangingHooks(this.http.projectId, groupId),
      schema: HangingListSchema,
    });
    const parsed = HangingListSchema.safeParse(res.body);
    if (!parsed.success) throw new Error("listHangingHooks: unexpected response shape");
    return (parsed.data.instance_hanging_info ?? [])
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
