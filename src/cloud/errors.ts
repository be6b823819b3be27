import type { Service } from "./endpoints";

/** An error answer from a cloud API, with what an operator needs to act on it. */
export class ApiError extends Error {
  override readonly name = "ApiError";
  constructor(
    readonly service: Service,
    readonly operation: string,
    readonly status: number,
    readonly code: string,
    message: string,
    /** Milliseconds the server asked us to wait (Retry-After), if it said. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** The request never got an HTTP answer: connection refused or reset, DNS, TLS. */
export class NetworkError extends Error {
  override readonly name = "NetworkError";
  readonly code = "NETWORK_ERROR";
  constructor(
    readonly service: Service,
    readonly operation: string,
    message: string,
  ) {
    super(message);
  }
}

/** No answer within the per-request timeout. */
export class RequestTimeoutError extends Error {
  override readonly name = "RequestTimeoutError";
  readonly code = "REQUEST_TIMEOUT";
  constructor(
    readonly service: Service,
    readonly operation: string,
    readonly timeoutMs: number,
    readonly host?: string,
  ) {
    super(`${operation}: no answer from ${service}${host ? ` (${host})` : ""} within ${timeoutMs} ms`);
  }
}

/** The invocation's time budget ran out before the work could be done. */
export class DeadlineExceededError extends Error {
  override readonly name = "DeadlineExceededError";
  readonly code = "DEADLINE_EXCEEDED";
}

/**
 * A listing that does not add up: a page with no id not already read, a total that grows while it is
 * read, or more pages than the first page's total allows. The listing stops there (a server that
 * pages forever must not hold the invocation, nor its memory, until the deadline).
 */
export class PagingInconsistentError extends Error {
  override readonly name = "PagingInconsistentError";
  readonly code = "PAGING_INCONSISTENT";
  constructor(
    readonly service: Service,
    readonly operation: string,
    message: string,
  ) {
    super(`${operation}: ${message}`);
  }
}

/** An id taken from a response that is not shaped like one, so it is never put into a request path. */
export class InvalidCloudIdError extends Error {
  override readonly name = "InvalidCloudIdError";
  readonly code = "INVALID_ID";
}

export type CloudError =
  | ApiError
  | NetworkError
  | RequestTimeoutError
  | DeadlineExceededError
  | PagingInconsistentError;

/** The `{status, code, message}` triple dead letters and logs carry. */
export function describeError(err: unknown): { status: number | null; code: string; message: string } {
  if (err instanceof ApiError) return { status: err.status, code: err.code, message: err.message };
  if (
    err instanceof NetworkError ||
    err instanceof RequestTimeoutError ||
    err instanceof DeadlineExceededError ||
    err instanceof PagingInconsistentError ||
    err instanceof InvalidCloudIdError
  ) {
    return { status: null, code: err.code, message: err.message };
  }
  if (err instanceof Error) return { status: null, code: err.name, message: err.message };
  return { status: null, code: "UNKNOWN", message: String(err) };
}
