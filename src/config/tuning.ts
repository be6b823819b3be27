import { ENV_KEYS, type EnvKey } from "./keys";

/** One operational knob: the variable that sets it, its default and the whole numbers it accepts. */
export interface Tunable {
  key: EnvKey;
  default: number;
  min: number;
  max: number;
}

/**
 * Every tunable, in one table: the only place a default is written, each with what it does (a comment,
 * so the bundles do not carry the text). Code below config receives the
 * values (`Config.tuning`, or `DEFAULT_TUNING` in tests and tools); docs/configuration.md's environment table
 * documents the same rows.
 */
export const TUNABLES = {
  /** per-request timeout, in milliseconds */
  requestTimeoutMs: {
    key: ENV_KEYS.requestTimeoutMs,
    default: 10_000,
    min: 100,
    max: 120_000,
  },
  /** attempts per call in all, the first included */
  retryMaxAttempts: {
    key: ENV_KEYS.retryMaxAttempts,
    default: 5,
    min: 1,
    max: 10,
  },
  /** base of the full-jitter exponential backoff, in milliseconds */
  retryBaseDelayMs: {
    key: ENV_KEYS.retryBaseDelayMs,
    default: 200,
    min: 0,
    max: 10_000,
  },
  /** cap of one backoff delay, in milliseconds */
  retryMaxDelayMs: {
    key: ENV_KEYS.retryMaxDelayMs,
    default: 5_000,
    min: 0,
    max: 60_000,
  },
  /** channels reconciled at once; writes to one channel are always serialised */
  maxConcurrency: {
    key: ENV_KEYS.maxConcurrency,
    default: 4,
    min: 1,
    max: 32,
  },
  /** calls per second per service (token bucket, with a burst of as many) */
  apiRateLimit: {
    key: ENV_KEYS.apiRateLimit,
    default: 20,
    min: 1,
    max: 1_000,
  },
  /** APIG launch hooks: how often to re-read member health while waiting for `healthy` */
  healthPollIntervalMs: {
    key: ENV_KEYS.healthPollIntervalMs,
    default: 5_000,
    min: 10,
    max: 60_000,
  },
  /** APIG launch hooks: how long one invocation waits for health before leaving the hook to the next */
  healthWaitMaxMs: {
    key: ENV_KEYS.healthWaitMaxMs,
    default: 30_000,
    min: 0,
    max: 900_000,
  },
  /**
   * `health_check`: how long a channel's health check found as wanted stays so for a warm instance
   * before a run reads the channel to compare it again; 0 (the default) compares every run, so a
   * drifted check is set right by the next run whatever else it does
   */
  healthCheckRecheckMs: {
    key: ENV_KEYS.healthCheckRecheckMs,
    default: 0,
    min: 0,
    max: 86_400_000,
  },
  /** `reconcile` hands its work to async `backfill` invocations above this many bindings */
  fanOutThreshold: {
    key: ENV_KEYS.fanOutThreshold,
    default: 50,
    min: 1,
    max: 10_000,
  },
  /** bindings per fan-out shard (bindings that share a channel stay in one shard) */
  fanOutShardSize: {
    key: ENV_KEYS.fanOutShardSize,
    default: 25,
    min: 1,
    max: 10_000,
  },
} as const satisfies Record<string, Tunable>;

/** The value of every tunable for one run. */
export type Tuning = { -readonly [K in keyof typeof TUNABLES]: number };

export const DEFAULT_TUNING: Tuning = Object.fromEntries(
  Object.entries(TUNABLES).map(([field, t]) => [field, t.default]),
) as Tuning;
