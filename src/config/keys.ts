/**
 * Every environment key the functions read, in one place. FunctionGraph hands them to Node.js through
 * `context.getUserData(key)`; local runs and the CLI use `process.env[key]`.
 */
export const ENV_KEYS = {
  bindings: "BINDINGS",
  bindingsFromTags: "BINDINGS_FROM_TAGS",
  tagBindingsAllowed: "TAG_BINDINGS_ALLOWED",
  region: "HUAWEICLOUD_SDK_REGION",
  projectId: "HUAWEICLOUD_SDK_PROJECT_ID",
  runtimeProjectId: "RUNTIME_PROJECT_ID",
  romaEndpoint: "ROMA_ENDPOINT",
  apigEndpoint: "APIG_ENDPOINT",
  asEndpoint: "AS_ENDPOINT",
  ecsEndpoint: "ECS_ENDPOINT",
  smnEndpoint: "SMN_ENDPOINT",
  functionGraphEndpoint: "FUNCTIONGRAPH_ENDPOINT",
  allowCustomEndpoints: "ALLOW_CUSTOM_ENDPOINTS",
  deadLetterTopicUrn: "DEAD_LETTER_TOPIC_URN",
  ak: "HUAWEICLOUD_SDK_AK",
  sk: "HUAWEICLOUD_SDK_SK",
  securityToken: "HUAWEICLOUD_SDK_SECURITY_TOKEN",
  logLevel: "LOG_LEVEL",
  requestTimeoutMs: "REQUEST_TIMEOUT_MS",
  retryMaxAttempts: "RETRY_MAX_ATTEMPTS",
  retryBaseDelayMs: "RETRY_BASE_DELAY_MS",
  retryMaxDelayMs: "RETRY_MAX_DELAY_MS",
  maxConcurrency: "MAX_CONCURRENCY",
  apiRateLimit: "API_RATE_LIMIT",
  healthPollIntervalMs: "HEALTH_POLL_INTERVAL_MS",
  healthWaitMaxMs: "HEALTH_WAIT_MAX_MS",
  healthCheckRecheckMs: "HEALTH_CHECK_RECHECK_MS",
  backfillFunctionUrn: "BACKFILL_FUNCTION_URN",
  fanOutThreshold: "FANOUT_THRESHOLD",
  fanOutShardSize: "FANOUT_SHARD_SIZE",
} as const;

export type EnvKey = (typeof ENV_KEYS)[keyof typeof ENV_KEYS];

/** The variable that overrides each service's endpoint. */
export const ENDPOINT_KEYS = {
  roma: ENV_KEYS.romaEndpoint,
  apig: ENV_KEYS.apigEndpoint,
  as: ENV_KEYS.asEndpoint,
  ecs: ENV_KEYS.ecsEndpoint,
  smn: ENV_KEYS.smnEndpoint,
  functiongraph: ENV_KEYS.functionGraphEndpoint,
} as const;

/** The services the functions call, each with an endpoint that can be set. */
export type Service = keyof typeof ENDPOINT_KEYS;

/** Keys an operator sets on a deployed function (the platform supplies RUNTIME_PROJECT_ID itself). */
export const DEPLOYED_ENV_KEYS: readonly EnvKey[] = [
  ENV_KEYS.bindings,
  ENV_KEYS.bindingsFromTags,
  ENV_KEYS.tagBindingsAllowed,
  ENV_KEYS.region,
  ENV_KEYS.projectId,
  ENV_KEYS.romaEndpoint,
  ENV_KEYS.apigEndpoint,
  ENV_KEYS.asEndpoint,
  ENV_KEYS.ecsEndpoint,
  ENV_KEYS.smnEndpoint,
  ENV_KEYS.functionGraphEndpoint,
  ENV_KEYS.allowCustomEndpoints,
  ENV_KEYS.deadLetterTopicUrn,
  ENV_KEYS.logLevel,
  ENV_KEYS.requestTimeoutMs,
  ENV_KEYS.retryMaxAttempts,
  ENV_KEYS.retryBaseDelayMs,
  ENV_KEYS.retryMaxDelayMs,
  ENV_KEYS.maxConcurrency,
  ENV_KEYS.apiRateLimit,
  ENV_KEYS.healthPollIntervalMs,
  ENV_KEYS.healthWaitMaxMs,
  ENV_KEYS.healthCheckRecheckMs,
  ENV_KEYS.backfillFunctionUrn,
  ENV_KEYS.fanOutThreshold,
  ENV_KEYS.fanOutShardSize,
];
