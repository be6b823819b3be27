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

export type CloudError = ApiError | NetworkError | RequestTimeoutError | DeadlineExceededError;

/** The `{status, code, message}` triple dead letters and logs carry. */
export function describeError(err: unknown): { status: number | null; code: string; message: string } {
  if (err instanceof ApiError) return { status: err.status, code: err.code, message: err.message };
  if (
    err instanceof NetworkError ||
    err instanceof RequestTimeoutError ||
    err instanceof DeadlineExceededError
  ) {
    return { status: null, code: err.code, message: err.message };
  }
  if (err instanceof Error) return { status: null, code: err.name, message: err.message };
  return { status: null, code: "UNKNOWN", message: String(err) };
}
