import { describe, expect, it } from "vitest";
import { isAlreadyDeleted, isHookAlreadyCompleted, isThrottle, isTransient } from "../../src/cloud/classify";
import { Deadline } from "../../src/cloud/deadline";
import {
  ApiError,
  CloudError,
  DeadlineExceededError,
  describeError,
  InterruptedError,
  InvalidCloudIdError,
  NetworkError,
  PagingInconsistentError,
  RequestTimeoutError,
} from "../../src/cloud/errors";
import { TokenBucket } from "../../src/cloud/rate-limit";
import {
  attemptsOf,
  backoffDelay,
  DEFAULT_RETRY_POLICY,
  parseRetryAfter,
  withRetry,
} from "../../src/cloud/retry";

const api = (status: number, code: string, retryAfterMs?: number) =>
  new ApiError("roma", "op", status, code, "msg", retryAfterMs);

describe("classification", () => {
  it.each([
    [api(429, "HTTP_429"), true],
    [api(500, "APIG.9999"), true],
    [api(503, "HTTP_503"), true],
    [api(500, "APIG.9008"), true],
    [api(400, "APIG.0308"), true],
    [api(500, "AS.0001"), true],
    [api(200, "MALFORMED_RESPONSE"), true],
    [new NetworkError("roma", "op", "ECONNRESET"), true],
    [new RequestTimeoutError("roma", "op", 10), true],
    [api(400, "APIG.2004"), false],
    [api(401, "APIG.1002"), false],
    [api(403, "APIG.3110"), false],
    [api(404, "APIG.3023"), false],
    [new Error("bug"), false],
  ])("%s transient: %s", (err, want) => {
    expect(isTransient(err)).toBe(want);
  });

  it("knows throttles and done-equivalents", () => {
    expect(isThrottle(api(429, "x"))).toBe(true);
    expect(isThrottle(api(500, "APIG.0308"))).toBe(true);
    expect(isThrottle(api(500, "APIG.9999"))).toBe(false);
    expect(isAlreadyDeleted(api(404, "APIG.3024"))).toBe(true);
    expect(isHookAlreadyCompleted(api(400, "AS.7042"))).toBe(true);
  });
});

describe("cloud errors", () => {
  it("share one base that carries service, operation, code, status, attempts and cause", () => {
    const reset = new Error("ECONNRESET");
    const cases: [CloudError, string, number | null, boolean][] = [
      [api(503, "HTTP_503"), "HTTP_503", 503, true],
      [api(200, "RESPONSE_TOO_LARGE"), "RESPONSE_TOO_LARGE", 200, true],
      [new NetworkError("roma", "op", "op: ECONNRESET", { cause: reset }), "NETWORK_ERROR", null, true],
      [new RequestTimeoutError("roma", "op", 10), "REQUEST_TIMEOUT", null, true],
      [new DeadlineExceededError("used up"), "DEADLINE_EXCEEDED", null, true],
      [new PagingInconsistentError("as", "op", "total grew"), "PAGING_INCONSISTENT", null, true],
      [new InvalidCloudIdError('member id ".." is not an id'), "INVALID_ID", null, false],
    ];
    for (const [err, code, status, transient] of cases) {
      expect(err).toBeInstanceOf(CloudError);
      expect(describeError(err)).toEqual({ status, code, message: err.message });
      expect(isTransient(err)).toBe(transient);
      expect(err.attempts).toBe(1);
    }
    expect((cases[2]![0] as NetworkError).cause).toBe(reset);
    expect(cases[5]![0]).toMatchObject({ service: "as", operation: "op", message: "op: total grew" });
    expect(describeError(new TypeError("bug"))).toEqual({ status: null, code: "TypeError", message: "bug" });
    expect(describeError("text")).toEqual({ status: null, code: "UNKNOWN", message: "text" });
  });
});

describe("backoff", () => {
  it("is full jitter under an exponential cap", () => {
    const policy = { ...DEFAULT_RETRY_POLICY, baseDelayMs: 100, maxDelayMs: 1000 };
    expect(backoffDelay(policy, 1, api(500, "x"), () => 0.999)).toBe(99);
    expect(backoffDelay(policy, 3, api(500, "x"), () => 0.5)).toBe(200);
    expect(backoffDelay(policy, 10, api(500, "x"), () => 0.999)).toBe(999);
    expect(backoffDelay(policy, 10, api(500, "x"), () => 0)).toBe(0);
  });

  it("never undercuts Retry-After, and bounds it", () => {
    const policy = { ...DEFAULT_RETRY_POLICY, baseDelayMs: 100, maxDelayMs: 1000, maxRetryAfterMs: 5000 };
    expect(backoffDelay(policy, 1, api(429, "x", 2000), () => 0)).toBe(2000);
    expect(backoffDelay(policy, 1, api(429, "x", 60_000), () => 0)).toBe(5000);
  });

  it("parses Retry-After as seconds or an HTTP date", () => {
    expect(parseRetryAfter("3")).toBe(3000);
    expect(parseRetryAfter("0.5")).toBe(500);
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(parseRetryAfter("Thu, 01 Jan 2026 00:00:05 GMT", now)).toBe(5000);
    expect(parseRetryAfter("soon")).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });
});

describe("withRetry", () => {
  const policy = { ...DEFAULT_RETRY_POLICY, baseDelayMs: 1, maxDelayMs: 2 };

  it("retries transient failures until success", async () => {
    let calls = 0;
    const value = await withRetry(
      async () => {
        calls += 1;
        if (calls < 3) throw api(503, "HTTP_503");
        return "ok";
      },
      { policy, deadline: new Deadline(10_000, 0) },
    );
    expect(value).toBe("ok");
    expect(calls).toBe(3);
  });

  it("does not retry permanent failures and reports the attempts", async () => {
    let calls = 0;
    const err = await withRetry(
      async () => {
        calls += 1;
        throw api(400, "APIG.2004");
      },
      { policy, deadline: new Deadline(10_000, 0) },
    ).catch((e: unknown) => e);
    expect(calls).toBe(1);
    expect((err as ApiError).code).toBe("APIG.2004");
    expect(attemptsOf(err)).toBe(1);
  });

  it("stops after maxAttempts, waiting before each retry and not after the last attempt", async () => {
    let calls = 0;
    const waits: number[] = [];
    const err = await withRetry(
      async () => {
        calls += 1;
        throw api(500, "APIG.9999");
      },
      {
        policy: { ...policy, maxAttempts: 3 },
        deadline: new Deadline(10_000, 0),
        observer: { onRetry: ({ attempt }) => waits.push(attempt) },
      },
    ).catch((e: unknown) => e);
    expect(calls).toBe(3);
    expect(waits).toEqual([1, 2]);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).attempts).toBe(3);
    expect(attemptsOf(err)).toBe(3);
  });

  it("gives up when the next wait would pass the deadline", async () => {
    let calls = 0;
    const err = await withRetry(
      async () => {
        calls += 1;
        throw api(429, "HTTP_429", 5_000);
      },
      { policy, deadline: new Deadline(1_000, 0) },
    ).catch((e: unknown) => e);
    expect(calls).toBe(1);
    expect((err as ApiError).status).toBe(429);
  });
});

describe("Deadline", () => {
  it("keeps a safety margin, never more than a fifth of a short budget", () => {
    let t = 0;
    const d = new Deadline(10_000, 3_000, () => t);
    expect(d.remainingMs()).toBe(7_000);
    t = 8_000;
    expect(d.expired()).toBe(true);
    const short = Deadline.fromContext({ getRemainingTimeInMilliSeconds: () => 5_000 }, 60_000, 3_000);
    expect(short.safetyMarginMs).toBe(1_000);
    const noContext = Deadline.fromContext(undefined, 60_000, 3_000);
    expect(noContext.remainingMs()).toBeGreaterThan(50_000);
  });
});

describe("TokenBucket", () => {
  it("hands out a burst at once, then paces at the rate", async () => {
    let t = 0;
    const bucket = new TokenBucket(1000, 2, () => t);
    await bucket.take();
    await bucket.take();
    let third = false;
    const p = bucket.take().then(() => {
      third = true;
    });
    await new Promise((r) => setTimeout(r, 0));
    expect(third).toBe(false);
    t = 5; // 5 ms at 1000/s refills the bucket
    await p;
    expect(third).toBe(true);
  });
});

describe("an interrupt (the CLI's Ctrl-C)", () => {
  it("ends the deadline at once: no call may start, and the refusal says it was interrupted, not transient", async () => {
    const stop = new AbortController();
    const d = new Deadline(60_000, 0, Date.now, stop.signal);
    expect(d.remainingMs()).toBeGreaterThan(0);
    expect(d.refusal("addMembers")).toBeInstanceOf(DeadlineExceededError);
    const sleeping = d.sleep(600_000);
    stop.abort();
    await sleeping;
    expect(d.interrupted).toBe(true);
    expect(d.remainingMs()).toBe(0);
    const refusal = d.refusal("addMembers");
    expect(refusal).toBeInstanceOf(InterruptedError);
    expect(describeError(refusal)).toEqual({
      status: null,
      code: "INTERRUPTED",
      message: "addMembers: not sent: the run was interrupted",
    });
    expect(isTransient(refusal)).toBe(false);
    // The dead letters of an interrupted run are still published.
    expect(d.extendedBy(2_000).remainingMs()).toBeGreaterThan(0);
  });

  it("stops retrying: an interrupt during the backoff ends the call with the error it had", async () => {
    const stop = new AbortController();
    let calls = 0;
    const err = await withRetry(
      async () => {
        calls += 1;
        return Promise.reject(api(503, "HTTP_503"));
      },
      {
        policy: { ...DEFAULT_RETRY_POLICY, baseDelayMs: 600_000, maxDelayMs: 600_000 },
        deadline: new Deadline(3_600_000, 0, Date.now, stop.signal),
        random: () => 1,
        observer: { onRetry: () => stop.abort() },
      },
    ).catch((e: unknown) => e);
    expect(calls).toBe(1);
    expect((err as ApiError).status).toBe(503);
  });
});
