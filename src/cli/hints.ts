/**
 * What an operator does about the error codes a dead letter can carry. The README's troubleshooting
 * table says the same at more length; keep the two in step.
 */
const HINTS: Record<string, string> = {
  "APIG.3110":
    "the channel's member quota is reached (default 10 members per VPC channel): raise the quota, remove members you do not need, or cap the AS group's max size",
  "APIG.3023": "the VPC channel does not exist: check vpc_channel_id and instance_id in the binding",
  "APIG.3030": "the gateway instance does not exist here: check instance_id, gateway (roma/apig) and region",
  "APIG.1002":
    "the signature or credentials were refused: check the agency (or HUAWEICLOUD_SDK_AK/SK), project id and clock",
  "APIG.1005":
    "no permission for this gateway API in this project: check that HUAWEICLOUD_SDK_PROJECT_ID is the project of the region the gateway is in, then the agency's custom policy (infra/README.md, permissions)",
  "APIG.1113":
    "the agency may not change this VPC channel: check the custom policy (infra/README.md, permissions)",
  "AS.0011": "the agency may not call this AS API: check the custom policy (infra/README.md, permissions)",
  "AS.0006": "AS refused the credentials: check the agency (or HUAWEICLOUD_SDK_AK/SK) and project id",
  "AS.2007": "the AS group does not exist: check scaling_group_id and region",
  "AS.7042": "the lifecycle hook no longer waits (it timed out or was completed): nothing to do",
  "APIG.2012":
    "a value was refused: for ip channels the instance needs a private IPv4; check the binding's fields",
  "APIG.9999": "gateway system error or concurrent writes to one channel: transient, replay it",
  "APIG.9008": "the gateway throttled the calls: lower API_RATE_LIMIT or MAX_CONCURRENCY, then replay",
  NETWORK_ERROR: "the endpoint could not be reached: check the *_ENDPOINT values, VPC access and DNS",
  REQUEST_TIMEOUT: "no answer in REQUEST_TIMEOUT_MS: transient, replay it",
  DEADLINE_EXCEEDED: "the invocation ran out of time: raise the function timeout or lower drain_seconds",
};

export function hintFor(code: string): string | undefined {
  return HINTS[code];
}
