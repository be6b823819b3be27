import type { CloudHttp } from "./http";
import { paths } from "./paths";

/** AS accepts at most 10 instances in one batch action (AS API reference "Batch Managing Instances"). */
export const BATCH_ACTION_LIMIT = 10;

/**
 * AS batch instance actions on standby (`POST …/scaling_group_instance/{scaling_group_id}/action`, Go SDK
 * `BatchSetScalingInstancesStandby` / `BatchUnsetScalingInstancesStantby`, bodies
 * `BatchEnterStandbyInstancesOption` / `BatchExitStandByInstancesOption`). The answer is 204 without a body.
 */
export class StandbyClient {
  constructor(private readonly http: CloudHttp) {}

  /**
   * Moves INSERVICE instances to STANDBY, `instance_append: "yes"` so AS launches a replacement for each
   * (the expected number of instances stays). At most 10 ids a call: more are sent in several calls.
   */
  async enterStandbyWithReplacement(groupId: string, instanceIds: readonly string[]): Promise<void> {
    await this.batch(groupId, instanceIds, { action: "ENTER_STANDBY", instance_append: "yes" });
  }

  async exitStandby(groupId: string, instanceIds: readonly string[]): Promise<void> {
    await this.batch(groupId, instanceIds, { action: "EXIT_STANDBY" });
  }

  private async batch(
    groupId: string,
    ids: readonly string[],
    fields: Record<string, string>,
  ): Promise<void> {
    for (let i = 0; i < ids.length; i += BATCH_ACTION_LIMIT) {
      await this.http.request<unknown>({
        service: "as",
        operation: fields.action === "ENTER_STANDBY" ? "enterStandby" : "exitStandby",
        method: "POST",
        path: paths.groupInstanceAction(this.http.projectId, groupId),
        body: { ...fields, instances_id: ids.slice(i, i + BATCH_ACTION_LIMIT) },
      });
    }
  }
}
