import type { Service } from "./endpoints";

/** Where a cloud failure happened, its HTTP status when an answer came, and what caused it. */
export interface CloudErrorOptions {
  service?: Service;
  operation?: string;
  status?: number;
  cause?: unknown;
}

/**
 * The base of every failure of a cloud call (the pattern of Powertools for AWS Lambda's error classes:
 * one base, `cause` passed through `ErrorOptions`): the service and operation, a `code` for dead letters
 * and logs, the HTTP status when an answer came, the attempts the call took, and whether it is worth
 * trying again later. The message is already fit for a log: text taken from a response is scrubbed of
 * credentials before it reaches one (./http.ts).
 */
export abstract class CloudError extends Error {
  abstract readonly code: string;
  /** Worth trying again later (a later attempt, or the platform's retry of the invocation). */
  abstract readonly transient: boolean;
  readonly service: Service | undefined;
  readonly operation: string | undefined;
  /** The HTTP status of the answer; null when none came. */
  readonly status: number | null;
  /** Attempts the call took, the first included (withRetry sets it when it gives up). */
  attempts = 1;

  constructor(message: string, options: CloudErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.service = options.service;
    this.operation = options.operation;
    this.status = options.status ?? null;
  }
}

/**
 * Error codes that mean "try again later" whatever their HTTP status. APIG/ROMA codes: the APIG error
 * code table (https://support.huaweicloud.com/en-us/api-apig/ErrorCode.html); APIG.0308 is the API
 * gateway's own throttling in front of every service
 * (https://support.huaweicloud.com/intl/en-us/oce_faq/en-us_topic_0000001887959462.html); AS.0001 is
 * AS's "System error." (AS API reference, appendix "Error Codes", as in
 * github.com/opentelekomcloud-docs/auto-scaling `api-ref/source/appendix/error_codes.rst`).
 */
export const TRANSIENT_CODES: ReadonlySet<string> = new Set([
  "APIG.9008", // too many requests
  "APIG.9999", // system error, also concurrent writes to one channel
  "APIG.0308", // gateway throttling
  "APIG.3500", // failed to synchronise to etcd
  "AS.0001", // AS system error
  "MALFORMED_RESPONSE",
  "RESPONSE_TOO_LARGE", // an answer past the transport's cap (./transport.ts)
]);

/** An error answer from a cloud API, with what an operator needs to act on it. */
export class ApiError extends CloudError {
  override readonly name = "ApiError";
  declare readonly status: number;

  constructor(
    service: Service,
    operation: string,
    status: number,
    readonly code: string,
    message: string,
    /** Milliseconds the server asked us to wait (Retry-After), if it said. */
    readonly retryAfterMs?: number,
    options: { cause?: unknown } = {},
  ) {
    super(message, { service, operation, status, cause: options.cause });
  }

  /** Throttled (429), a server error (5xx), or a code that means "try again later". */
  get transient(): boolean {
    return this.status === 429 || this.status >= 500 || TRANSIENT_CODES.has(this.code);
  }
}

/** The request never got an HTTP answer: connection refused or reset, DNS, TLS. */
export class NetworkError extends CloudError {
  override readonly name = "NetworkError";
  readonly code = "NETWORK_ERROR";
  readonly transient = true;

  constructor(service: Service, operation: string, message: string, options: { cause?: unknown } = {}) {
    super(message, { service, operation, cause: options.cause });
  }
}

/** No answer within the per-request timeout. */
export class RequestTimeoutError extends CloudError {
  override readonly name = "RequestTimeoutError";
  readonly code = "REQUEST_TIMEOUT";
  readonly transient = true;

  constructor(
    service: Service,
    operation: string,
    readonly timeoutMs: number,
    readonly host?: string,
    options: { cause?: unknown } = {},
  ) {
    super(`${operation}: no answer from ${service}${host ? ` (${host})` : ""} within ${timeoutMs} ms`, {
      service,
      operation,
      cause: options.cause,
    });
  }
}

/**
 * The invocation's time budget ran out before the work could be done. Transient: the platform's retry
 * brings a fresh budget (withRetry never retries it within the invocation).
 */
export class DeadlineExceededError extends CloudError {
  override readonly name = "DeadlineExceededError";
  readonly code = "DEADLINE_EXCEEDED";
  readonly transient = true;
}

/**
 * A listing that does not add up: a page with no id not already read, a total that grows while it is
 * read, or more pages than the first page's total allows. The listing stops there (a server that
 * pages forever must not hold the invocation, nor its memory, until the deadline). Transient: a group
 * that scales while it is listed grows its total.
 */
export class PagingInconsistentError extends CloudError {
  override readonly name = "PagingInconsistentError";
  readonly code = "PAGING_INCONSISTENT";
  readonly transient = true;

  constructor(service: Service, operation: string, message: string) {
    super(`${operation}: ${message}`, { service, operation });
  }
}

/** An id taken from a response that is not shaped like one, so it is never put into a request path. */
export class InvalidCloudIdError extends CloudError {
  override readonly name = "InvalidCloudIdError";
  readonly code = "INVALID_ID";
  readonly transient = false;
}

/** The `{status, code, message}` triple dead letters and logs carry. */
export function describeError(err: unknown): { status: number | null; code: string; message: string } {
  if (err instanceof CloudError) return { status: err.status, code: err.code, message: err.message };
  if (err instanceof Error) return { status: null, code: err.name, message: err.message };
  return { status: null, code: "UNKNOWN", message: String(err) };
}
