import pRetry from "p-retry";
import { DEFAULT_TUNING, type Tuning } from "../config/tuning";
import { isThrottle, isTransient } from "./classify";
import type { Deadline } from "./deadline";
import { ApiError, CloudError, DeadlineExceededError } from "./errors";

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** Base of the exponential backoff. */
  baseDelayMs: number;
  /** Cap of one backoff delay. */
  maxDelayMs: number;
  /** A server's Retry-After is honoured up to this much. */
  maxRetryAfterMs: number;
}

/** The longest Retry-After honoured: a server asking for more is retried after this much. */
export const MAX_RETRY_AFTER_MS = 20_000;

/** The policy of a run, from its tuning (`Config.tuning`, or DEFAULT_TUNING). */
export function retryPolicy(tuning: Tuning): RetryPolicy {
  return {
    maxAttempts: tuning.retryMaxAttempts,
    baseDelayMs: tuning.retryBaseDelayMs,
    maxDelayMs: tuning.retryMaxDelayMs,
    maxRetryAfterMs: MAX_RETRY_AFTER_MS,
  };
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = retryPolicy(DEFAULT_TUNING);

/**
 * Full-jitter exponential backoff: a uniform draw from [0, min(cap, base·2^(attempt-1))]. When the server
 * sent Retry-After, never retry earlier than it asked (bounded by maxRetryAfterMs): jitter must not undercut it.
 */
export function backoffDelay(
  policy: RetryPolicy,
  attempt: number,
  err: unknown,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  const jittered = Math.floor(random() * ceiling);
  const asked = err instanceof ApiError ? err.retryAfterMs : undefined;
  if (asked === undefined) return jittered;
  return Math.max(jittered, Math.min(asked, policy.maxRetryAfterMs));
}

/** Parses Retry-After (delta-seconds or HTTP-date) into milliseconds from now. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (value === null || value.trim() === "") return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export interface RetryObserver {
  onRetry(info: { attempt: number; delayMs: number; error: unknown; throttled: boolean }): void;
}

/** Worth another attempt within this invocation: transient, but not the invocation's time running out. */
const retryable = (err: unknown) => !(err instanceof DeadlineExceededError) && isTransient(err);

/**
 * Runs `fn` until it succeeds, fails permanently, runs out of attempts, or the next try would not
 * finish before the deadline. Resolves to the value; rejects with the last error, a CloudError carrying
 * its attempt count. p-retry as it is meant to be used: it counts the attempts and asks `shouldRetry`
 * (a plain yes or no); the wait (ours: full jitter, Retry-After) is taken in `onFailedAttempt`.
 */
export async function withRetry<T>(
  fn: (attempt: number) => Promise<T>,
  opts: { policy: RetryPolicy; deadline: Deadline; observer?: RetryObserver; random?: () => number },
): Promise<T> {
  const { policy, deadline, observer } = opts;
  let attempts = 0;
  try {
    return await pRetry(
      async (attempt) => {
        attempts = attempt;
        if (deadline.expired()) throw deadline.refusal(undefined);
        return fn(attempt);
      },
      {
        retries: Math.max(0, policy.maxAttempts - 1),
        // No delay of p-retry's own: the wait is taken in onFailedAttempt.
        minTimeout: 0,
        maxTimeout: 0,
        factor: 1,
        // Called after every failed attempt, the last included: wait only when another attempt follows.
        onFailedAttempt: async ({ error, attemptNumber, retriesLeft }) => {
          if (retriesLeft === 0 || !retryable(error)) return;
          const delayMs = backoffDelay(policy, attemptNumber, error, opts.random);
          // Waiting past the deadline only delays the dead letter: give up now (p-retry rejects with
          // what onFailedAttempt throws).
          if (delayMs >= deadline.remainingMs()) throw error;
          observer?.onRetry({ attempt: attemptNumber, delayMs, error, throttled: isThrottle(error) });
          await deadline.sleep(delayMs);
          // Interrupted while waiting: the attempt that failed is what the run ends with.
          if (deadline.interrupted) throw error;
        },
        shouldRetry: ({ error }) => retryable(error),
      },
    );
  } catch (err) {
    if (err instanceof CloudError) err.attempts = attempts;
    throw err;
  }
}

/** Attempts spent on an error thrown by withRetry (1 when it never went through it). */
export function attemptsOf(err: unknown): number {
  return err instanceof CloudError ? err.attempts : 1;
}
