import { AutoScalingClient } from "../cloud/autoscaling";
import { AutoScalingTagsClient } from "../cloud/autoscaling-tags";
import type { Credentials } from "../cloud/credentials";
import type { Deadline } from "../cloud/deadline";
import { EcsClient } from "../cloud/ecs";
import { endpointResolver, type Service } from "../cloud/endpoints";
import { FunctionGraphClient } from "../cloud/functiongraph";
import { GatewayClient } from "../cloud/gateway";
import { CloudHttp } from "../cloud/http";
import { TokenBucket } from "../cloud/rate-limit";
import { retryPolicy } from "../cloud/retry";
import { SmnClient } from "../cloud/smn";
import { StandbyClient } from "../cloud/standby";
import { ENDPOINT_KEYS } from "../config/keys";
import type { Config } from "../config/load";
import type { Logger } from "../observability/logger";
import type { RunMetrics } from "../observability/metrics";

export interface Clients {
  http: CloudHttp;
  gateway: GatewayClient;
  autoscaling: AutoScalingClient;
  autoscalingTags: AutoScalingTagsClient;
  ecs: EcsClient;
  smn: SmnClient;
  functionGraph: FunctionGraphClient;
  standby: StandbyClient;
}

// Buckets outlive one invocation: a warm container that is invoked again keeps pacing the same API.
const buckets = new Map<string, TokenBucket>();

function limiters(rate: number): Partial<Record<Service, TokenBucket>> {
  const out: Partial<Record<Service, TokenBucket>> = {};
  for (const service of ["roma", "apig", "as", "ecs", "smn", "functiongraph"] as const) {
    const key = `${service}:${rate}`;
    let bucket = buckets.get(key);
    if (!bucket) {
      bucket = new TokenBucket(rate, rate);
      buckets.set(key, bucket);
    }
    out[service] = bucket;
  }
  return out;
}

/**
 * The clients of one invocation, sharing its metrics, rate limits and retry log. Calls stop at
 * `deadline`; the SMN client's at `publishDeadline` when given (dead letters may be published into the
 * invocation's safety margin).
 */
export function createClients(
  config: Config,
  credentials: Credentials,
  deadline: Deadline,
  metrics: RunMetrics,
  logger: Logger,
  publishDeadline?: Deadline,
): Clients {
  const endpointOf = endpointResolver(config.region, config.endpointOverrides, (service, url) =>
    logger.warn(
      `the official SDK's ${service} region table has no ${config.region}: calling ${url} (set ${ENDPOINT_KEYS[service]} if that is not the ${service} endpoint there)`,
      { action: "resolve_endpoint", service, endpoint: url },
    ),
  );
  const httpUntil = (until: Deadline) =>
    new CloudHttp({
      projectId: config.projectId,
      endpointOf,
      credentials,
      deadline: until,
      policy: retryPolicy(config.tuning),
      requestTimeoutMs: config.tuning.requestTimeoutMs,
      metrics,
      limiters: limiters(config.tuning.apiRateLimit),
      onRetry: ({ attempt, delayMs, error, throttled }) =>
        logger.warn("retrying after a transient failure", {
          action: "retry",
          attempt,
          delay_ms: delayMs,
          throttled,
          error: { code: (error as { code?: string }).code, message: (error as Error).message },
        }),
    });
  const http = httpUntil(deadline);
  return {
    http,
    gateway: new GatewayClient(http),
    autoscaling: new AutoScalingClient(http, logger),
    autoscalingTags: new AutoScalingTagsClient(http),
    ecs: new EcsClient(http),
    smn: new SmnClient(publishDeadline ? httpUntil(publishDeadline) : http),
    functionGraph: new FunctionGraphClient(http),
    standby: new StandbyClient(http),
  };
}
