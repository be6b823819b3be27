import type { GatewayKind } from "../plan/identity";
import { InvalidCloudIdError } from "./errors";

/*
 * Every API path the product calls, in one place, as the official SDKs define them
 * (huaweicloud-sdk-go-v3 `services/roma/v2/roma_meta.go`, `services/apig/v2/apig_meta.go`,
 * `services/as/v1/as_meta.go`, `services/ecs/v2/ecs_meta.go`, `services/smn/v2/smn_meta.go`,
 * `services/functiongraph/v2/functionGraph_meta.go`; test/e2e/sdk-conformance.test.ts checks them).
 */

/**
 * Characters a path parameter may hold. They go into the path raw, as the official SDKs substitute
 * `{function_urn}` and `{topic_urn}` (Go: core/request/default_http_request.go `fillParamsInPath`;
 * Node: huaweicloud-sdk-core HcClient.js `buildRequest`), and sdk-core's signer then encodes each
 * segment once (`:` → `%3A`). A character outside this set would have to be percent-encoded on the
 * wire, and the signer, which does not decode first, would sign it encoded twice: such a value is
 * refused here rather than sent with a signature the gateway rejects. Ids are `[A-Za-z0-9_-]`, URNs
 * add `:` and, in a function alias, `.` or `!`; all are RFC 3986 unreserved characters or sub-delims
 * that neither Node's URL parser nor the signer's `url.parse` rewrites.
 */
const PATH_PARAMETER = /^[A-Za-z0-9._~:@!$&()*+,;=-]+$/;

function seg(value: string): string {
  if (!PATH_PARAMETER.test(value) || value === "." || value === "..") {
    throw new Error(
      `path parameter ${JSON.stringify(value)} is not an id or URN: only letters, digits and - . _ ~ : @ ! $ & ( ) * + , ; = are allowed`,
    );
  }
  return value;
}

/** What an id the cloud hands back must look like before it goes into a path (member ids are 32 hex). */
const CLOUD_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

/** Whether an id from a server or an event is shaped like one, and so may go into a path. */
export const isCloudId = (id: string): boolean => CLOUD_ID.test(id);

/**
 * An id taken from a response, checked before it becomes a path segment: a listed member with id `..`
 * would otherwise turn a member DELETE into a DELETE of the channel.
 */
function cloudId(what: string, id: string): string {
  if (!isCloudId(id))
    throw new InvalidCloudIdError(
      `${what} ${JSON.stringify(id.length > 80 ? `${id.slice(0, 80)}…` : id)} is not an id; not used in a request`,
    );
  return seg(id);
}

export const paths = {
  channel(kind: GatewayKind, projectId: string, instanceId: string, channelId: string): string {
    const family = kind === "apig" ? "apigw" : "apic";
    return `/v2/${seg(projectId)}/${family}/instances/${seg(instanceId)}/vpc-channels/${seg(channelId)}`;
  },
  /** Add-or-update member groups by name (CreateMemberGroup, official SDK roma_meta.go / apig_meta.go). */
  memberGroups(kind: GatewayKind, projectId: string, instanceId: string, channelId: string): string {
    return `${paths.channel(kind, projectId, instanceId, channelId)}/member-groups`;
  },
  /** The channel's health check alone (UpdateHealthCheck, official SDK roma_meta.go / apig_meta.go). */
  healthConfig(kind: GatewayKind, projectId: string, instanceId: string, channelId: string): string {
    return `${paths.channel(kind, projectId, instanceId, channelId)}/health-config`;
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
    return `${paths.members(kind, projectId, instanceId, channelId)}/${cloudId("member id", memberId)}`;
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
  /** AS query-by-tag (GO-SDK `GenReqDefForListResourceInstances`, resource_type `scaling_group_tag`). */
  groupsByTag(projectId: string): string {
    return `/autoscaling-api/v1/${seg(projectId)}/scaling_group_tag/resource_instances/action`;
  },
  /** One group's tags (GO-SDK `GenReqDefForListScalingTagInfosByResourceId`). */
  groupTags(projectId: string, groupId: string): string {
    // The group is one an event named: an id from outside.
    return `/autoscaling-api/v1/${seg(projectId)}/scaling_group_tag/${cloudId("scaling group id", groupId)}/tags`;
  },
  /** Batch instance actions (ADD, REMOVE, PROTECT, ENTER_STANDBY, EXIT_STANDBY …): Go SDK as_meta.go. */
  groupInstanceAction(projectId: string, groupId: string): string {
    return `/autoscaling-api/v1/${seg(projectId)}/scaling_group_instance/${seg(groupId)}/action`;
  },
  /** BatchCreateServerTags / BatchDeleteServerTags: Go SDK services/ecs/v2/ecs_meta.go. */
  serverTagsAction(projectId: string, serverId: string): string {
    // The server is an instance the AS listing named: an id from a server.
    return `/v1/${seg(projectId)}/cloudservers/${cloudId("server id", serverId)}/tags/action`;
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
