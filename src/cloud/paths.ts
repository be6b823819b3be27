/** Every API path the product calls, in one place (huawei-apis.md §1.1, §2.1, §5.1). */
export type GatewayKind = "roma" | "apig";

const seg = encodeURIComponent;

export const paths = {
  channel(kind: GatewayKind, projectId: string, instanceId: string, channelId: string): string {
    const family = kind === "apig" ? "apigw" : "apic";
    return `/v2/${seg(projectId)}/${family}/instances/${seg(instanceId)}/vpc-channels/${seg(channelId)}`;
  },
  members(kind: GatewayKind, projectId: string, instanceId: string, channelId: string): string {
    return `${paths.channel(kind, projectId, instanceId, channelId)}/members`;
  },
  member(
    kind: GatewayKind,
    projectId: string,
    instanceId: string,
    channelId: string,
    memberId: string,
  ): string {
    return `${paths.members(kind, projectId, instanceId, channelId)}/${seg(memberId)}`;
  },
  batchMembers(
    kind: GatewayKind,
    projectId: string,
    instanceId: string,
    channelId: string,
    action: "enable" | "disable",
  ): string {
    return `${paths.members(kind, projectId, instanceId, channelId)}/batch-${action}`;
  },
  groupInstances(projectId: string, groupId: string): string {
    return `/autoscaling-api/v1/${seg(projectId)}/scaling_group_instance/${seg(groupId)}/list`;
  },
  hangingHooks(projectId: string, groupId: string): string {
    return `/autoscaling-api/v1/${seg(projectId)}/scaling_instance_hook/${seg(groupId)}/list`;
  },
  hookCallback(projectId: string, groupId: string): string {
    return `/autoscaling-api/v1/${seg(projectId)}/scaling_instance_hook/${seg(groupId)}/callback`;
  },
  /** Batch instance actions (ADD, REMOVE, PROTECT, ENTER_STANDBY, EXIT_STANDBY …): Go SDK as_meta.go. */
  groupInstanceAction(projectId: string, groupId: string): string {
    return `/autoscaling-api/v1/${seg(projectId)}/scaling_group_instance/${seg(groupId)}/action`;
  },
  /** BatchCreateServerTags / BatchDeleteServerTags: Go SDK services/ecs/v2/ecs_meta.go. */
  serverTagsAction(projectId: string, serverId: string): string {
    return `/v1/${seg(projectId)}/cloudservers/${seg(serverId)}/tags/action`;
  },
  serversDetail(projectId: string): string {
    return `/v1/${seg(projectId)}/cloudservers/detail`;
  },
  smnPublish(projectId: string, topicUrn: string): string {
    return `/v2/${seg(projectId)}/notifications/topics/${seg(topicUrn)}/publish`;
  },
  invokeAsync(projectId: string, functionUrn: string): string {
    return `/v2/${seg(projectId)}/fgs/functions/${seg(functionUrn)}/invocations-async`;
  },
};
