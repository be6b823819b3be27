import type { Service } from "./endpoints";
import { errorCodeInfo } from "./error-codes";

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

  /** Worth trying again later (a later attempt, or the platform's retry of the invocation): ./error-codes.ts says. */
  get transient(): boolean {
    return errorCodeInfo(this.code).transient === true;
  }
}

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

  /** Throttled (429), a server error (5xx), or an API code that means "try again later". */
  override get transient(): boolean {
    const info = errorCodeInfo(this.code);
    return this.status === 429 || this.status >= 500 || (info.transient === true && !info.local);
  }
}

/** The request never got an HTTP answer: connection refused or reset, DNS, TLS. */
export class NetworkError extends CloudError {
  override readonly name = "NetworkError";
  readonly code = "NETWORK_ERROR";

  constructor(service: Service, operation: string, message: string, options: { cause?: unknown } = {}) {
    super(message, { service, operation, cause: options.cause });
  }
}

/** No answer within the per-request timeout. */
export class RequestTimeoutError extends CloudError {
  override readonly name = "RequestTimeoutError";
  readonly code = "REQUEST_TIMEOUT";

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
}

/**
 * A call that was never sent because the run was interrupted (the CLI's Ctrl-C or SIGTERM): nothing
 * changed by it. Not transient: an interrupted run is the operator's to run again, not the platform's.
 */
export class InterruptedError extends CloudError {
  override readonly name = "InterruptedError";
  readonly code = "INTERRUPTED";
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

  constructor(service: Service, operation: string, message: string) {
    super(`${operation}: ${message}`, { service, operation });
  }
}

/**
 * An answer that left out some of the ids it was asked for, even when asked again for just those. Not
 * "unknown ids" (ECS answers an id it does not know with a `fault` entry): the ids are named, and the
 * next run (or a replay) asks again.
 */
export class IncompleteAnswerError extends CloudError {
  override readonly name = "IncompleteAnswerError";
  readonly code = "ANSWER_INCOMPLETE";

  constructor(
    service: Service,
    operation: string,
    readonly ids: readonly string[],
  ) {
    super(
      `${operation}: ${service} left ${ids.length} of the ids asked for out of its answer twice (${ids.slice(0, 5).join(", ")}${ids.length > 5 ? ", …" : ""})`,
      { service, operation },
    );
  }
}

/** An id taken from a response that is not shaped like one, so it is never put into a request path. */
export class InvalidCloudIdError extends CloudError {
  override readonly name = "InvalidCloudIdError";
  readonly code = "INVALID_ID";
}

/** The `{status, code, message}` triple dead letters and logs carry. */
export function describeError(err: unknown): { status: number | null; code: string; message: string } {
  if (err instanceof CloudError) return { status: err.status, code: err.code, message: err.message };
  if (err instanceof Error) return { status: null, code: err.name, message: err.message };
  return { status: null, code: "UNKNOWN", message: String(err) };
}
