import { ENV_KEYS, type EnvKey } from "./keys";

/** One operational knob: the variable that sets it, its default, the whole numbers it accepts, what it does. */
export interface Tunable {
  key: EnvKey;
  default: number;
  min: number;
  max: number;
  doc: string;
}

/**
 * Every tunable, in one table: the only place a default is written. Code below config receives the
 * values (`Config.tuning`, or `DEFAULT_TUNING` in tests and tools); README's Configuration table
 * documents the same rows.
 */
export const TUNABLES = {
  requestTimeoutMs: {
    key: ENV_KEYS.requestTimeoutMs,
    default: 10_000,
    min: 100,
    max: 120_000,
    doc: "per-request timeout, in milliseconds",
  },
  retryMaxAttempts: {
    key: ENV_KEYS.retryMaxAttempts,
    default: 5,
    min: 1,
    max: 10,
    doc: "attempts per call in all, the first included",
  },
  retryBaseDelayMs: {
    key: ENV_KEYS.retryBaseDelayMs,
    default: 200,
    min: 0,
    max: 10_000,
    doc: "base of the full-jitter exponential backoff, in milliseconds",
  },
  retryMaxDelayMs: {
    key: ENV_KEYS.retryMaxDelayMs,
    default: 5_000,
    min: 0,
    max: 60_000,
    doc: "cap of one backoff delay, in milliseconds",
  },
  maxConcurrency: {
    key: ENV_KEYS.maxConcurrency,
    default: 4,
    min: 1,
    max: 32,
    doc: "channels reconciled at once; writes to one channel are always serialised",
  },
  apiRateLimit: {
    key: ENV_KEYS.apiRateLimit,
    default: 20,
    min: 1,
    max: 1_000,
    doc: "calls per second per service (token bucket, with a burst of as many)",
  },
  healthPollIntervalMs: {
    key: ENV_KEYS.healthPollIntervalMs,
    default: 5_000,
    min: 10,
    max: 60_000,
    doc: "APIG launch hooks: how often to re-read member health while waiting for `healthy`",
  },
  healthWaitMaxMs: {
    key: ENV_KEYS.healthWaitMaxMs,
    default: 30_000,
    min: 0,
    max: 900_000,
    doc: "APIG launch hooks: how long one invocation waits for health before leaving the hook to the next",
  },
  fanOutThreshold: {
    key: ENV_KEYS.fanOutThreshold,
    default: 50,
    min: 1,
    max: 10_000,
    doc: "`reconcile` hands its work to async `backfill` invocations above this many bindings",
  },
  fanOutShardSize: {
    key: ENV_KEYS.fanOutShardSize,
    default: 25,
    min: 1,
    max: 10_000,
    doc: "bindings per fan-out shard (bindings that share a channel stay in one shard)",
  },
} as const satisfies Record<string, Tunable>;

/** The value of every tunable for one run. */
export type Tuning = { -readonly [K in keyof typeof TUNABLES]: number };

export const DEFAULT_TUNING: Tuning = Object.fromEntries(
  Object.entries(TUNABLES).map(([field, t]) => [field, t.default]),
) as Tuning;
