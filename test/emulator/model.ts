/**
 * The emulator's state model: what `control.state()` returns and what `control.load()` accepts once
 * defaults are filled. Field names follow the Huawei Cloud API models so state reads like responses.
 */

export type GatewayKind = "roma" | "apig";
export type MemberType = "ecs" | "ip";
export type MemberHealth = "healthy" | "unhealthy" | "unknown";
export type MemberStatus = 1 | 2;

/** A VPC channel member as the gateway returns it (VpcMemberInfo). */
export interface VpcMemberInfo {
  id: string;
  host: string;
  weight: number;
  is_backup: boolean;
  member_group_name: string;
  member_group_id: string;
  status: MemberStatus;
  port: number;
  ecs_id?: string;
  ecs_name?: string;
  vpc_channel_id: string;
  create_time: string;
  /** APIG gateways only; the ROMA model has no health status. */
  health_status?: MemberHealth;
}

export interface MemberGroupInfo {
  member_group_id: string;
  member_group_name: string;
  member_group_remark: string;
  /**
   * Absent unless a request set it: the official models make it optional with no default
   * (huaweicloud-sdk-go-v3 `services/apig/v2/model/model_member_group_info.go`, `MemberGroupWeight
   * *int32 json:"member_group_weight,omitempty"`), and the API reference describes it as a weight that
   * is used "if ... a weight has been set for it" (APIG "Adding or Updating a Backend Server Group of a
   * VPC Channel", https://support.huaweicloud.com/intl/en-us/api-apig/CreateMemberGroup.html).
   */
  member_group_weight?: number;
  create_time: string;
  update_time: string;
}

export interface VpcHealthConfig {
  protocol: string;
  path?: string;
  method?: string;
  port?: number;
  threshold_normal: number;
  threshold_abnormal: number;
  time_interval: number;
  http_code?: string;
  enable_client_ssl?: boolean;
  status?: number;
  timeout: number;
}

export interface ChannelInfo {
  id: string;
  name: string;
  port: number;
  balance_strategy: number;
  member_type: MemberType;
  type: number;
  status: number;
  create_time: string;
  vpc_health_config?: VpcHealthConfig;
}

export interface ChannelState extends ChannelInfo {
  member_groups: MemberGroupInfo[];
  members: VpcMemberInfo[];
}

export interface GatewayState {
  instance_id: string;
  kind: GatewayKind;
  channels: ChannelState[];
}

export const LIFE_CYCLE_STATES = [
  "INSERVICE",
  "PENDING",
  "REMOVING",
  "PENDING_WAIT",
  "REMOVING_WAIT",
  "STANDBY",
  "ENTERING_STANDBY",
] as const;
export type LifeCycleState = (typeof LIFE_CYCLE_STATES)[number];

/** `INITAILIZING` is the spelling in the AS response model; both spellings are accepted. */
export const AS_HEALTH_STATES = ["INITIALIZING", "INITAILIZING", "NORMAL", "ERROR"] as const;
export type AsHealthStatus = (typeof AS_HEALTH_STATES)[number];

export type HookType = "INSTANCE_LAUNCHING" | "INSTANCE_TERMINATING";
export type HookResult = "ABANDON" | "CONTINUE";

export interface AsInstance {
  instance_id: string;
  instance_name: string;
  life_cycle_state: LifeCycleState;
  health_status: AsHealthStatus;
  create_time: string;
  protect_from_scaling_down: boolean;
}

export interface LifecycleHook {
  lifecycle_hook_name: string;
  lifecycle_hook_type: HookType;
  default_result: HookResult;
  default_timeout: number;
  notification_topic_urn?: string;
  notification_metadata?: string;
  create_time: string;
}

export interface HangingEntry {
  instance_id: string;
  lifecycle_action_key: string;
  lifecycle_hook_name: string;
  lifecycle_hook_status: "HANGING";
  timeout: string;
  default_result: HookResult;
}

/** An AS resource tag (`ResourceTags`: key ≤ 36 characters, value ≤ 43). */
export interface GroupTag {
  key: string;
  value: string;
}

export interface ScalingGroupState {
  scaling_group_id: string;
  scaling_group_name: string;
  scaling_configuration_id: string;
  scaling_configuration_name: string;
  instances: AsInstance[];
  lifecycle_hooks: LifecycleHook[];
  hanging: HangingEntry[];
  tags: GroupTag[];
}

/** An ECS server. `ipv4` is its fixed primary address in VPC "vpc-1". */
export interface ServerState {
  id: string;
  name: string;
  ipv4?: string;
  status: string;
  /** ECS tags, key → value. */
  tags?: Record<string, string>;
}

export interface TopicMessage {
  subject?: string;
  message: string;
  message_id: string;
  time: string;
}

export interface TopicState {
  topic_urn: string;
  messages: TopicMessage[];
}

export interface Invocation {
  request_id: string;
  body: unknown;
  time: string;
}

export interface FunctionState {
  func_urn: string;
  invocations: Invocation[];
}

export interface EmulatorState {
  gateways: GatewayState[];
  scaling_groups: ScalingGroupState[];
  servers: ServerState[];
  topics: TopicState[];
  functions: FunctionState[];
}
