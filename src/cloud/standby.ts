import type { Deadline } from "./deadline";
import type { CloudHttp } from "./http";
import { paths } from "./paths";

/** AS accepts at most 10 instances in one batch action (AS API reference "Batch Managing Instances"). */
export const BATCH_ACTION_LIMIT = 10;

/**
 * AS batch instance action ENTER_STANDBY (`POST …/scaling_group_instance/{scaling_group_id}/action`, Go SDK
 * `GenReqDefForBatchSetScalingInstancesStandby`, body `BatchEnterStandbyInstancesOption`). The answer is
 * 204 without a body.
 */
export class StandbyClient {
  constructor(private readonly http: CloudHttp) {}

  /**
   * Moves INSERVICE instances to STANDBY with `instance_append: "yes"`, so AS launches a replacement for
   * each (the expected number of instances stays). At most 10 ids a call: more are sent in several calls.
   * With `deadline`, no attempt runs past it.
   */
  async enterStandbyWithReplacement(
    groupId: string,
    instanceIds: readonly string[],
    deadline?: Deadline,
  ): Promise<void> {
    for (let i = 0; i < instanceIds.length; i += BATCH_ACTION_LIMIT) {
      await this.http.request<unknown>({
        service: "as",
        operation: "enterStandby",
        method: "POST",
        path: paths.groupInstanceAction(this.http.projectId, groupId),
        // The field order of the SDK model: instances_id, action, instance_append.
        body: {
          instances_id: instanceIds.slice(i, i + BATCH_ACTION_LIMIT),
          action: "ENTER_STANDBY",
          instance_append: "yes",
        },
        ...(deadline ? { deadline } : {}),
      });
    }
  }
}
