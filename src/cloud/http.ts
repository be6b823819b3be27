import type { RunMetrics } from "../observability/metrics";
import { cut, type SecretScrubber, scrubberFor } from "../observability/scrub";
import type { Credentials } from "./credentials";
import type { Deadline } from "./deadline";
import type { Service } from "./endpoints";
import { ApiError, NetworkError, RequestTimeoutError } from "./errors";
import type { TokenBucket } from "./rate-limit";
import { checkResponse, type ResponseSchema } from "./response-check";
import { parseRetryAfter, type RetryObserver, type RetryPolicy, withRetry } from "./retry";
import { signRequest } from "./signer";
import { type Exchange, exchange, ResponseTooLargeError } from "./transport";

export interface CloudRequest<T = unknown> {
  service: Service;
  /** A short name for logs and errors, e.g. `addMembers`. */
  operation: string;
  method: "GET" | "POST" | "PUT" | "DELETE";
  /** A POST that only reads (AS's query-by-tag action): not counted as a write. */
  readOnly?: boolean;
  /** Path from the service root, with the project id already in it. */
  path: string;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  /**
   * The shape a successful answer must have. One that does not (a proxy's page, a body cut short) is
   * MALFORMED_RESPONSE and retried like a network error: never read as, say, an empty list. The answer's
   * body is then the parsed value, so the caller never parses it a second time.
   */
  schema?: ResponseSchema<T>;
  /** Ends this call's attempts earlier than the client's deadline (a step that must land in time or not at all). */
  deadline?: Deadline;
}

export type { ResponseSchema };

export interface CloudResponse<T> {
  status: number;
  body: T;
}

export interface CloudHttpOptions {
  projectId: string;
  /** The base URL of a service, looked up on its first call (./endpoints.ts, endpointResolver). */
  endpointOf: (service: Service) => string | undefined;
  credentials: Credentials;
  deadline: Deadline;
  policy: RetryPolicy;
  requestTimeoutMs: number;
  metrics: RunMetrics;
  limiters: Partial<Record<Service, TokenBucket>>;
  onRetry?: RetryObserver["onRetry"];
}

const WRITE_METHODS = new Set(["POST", "PUT", "DELETE"]);

/** Characters of an error message taken from a response that reach an error (after scrubbing). */
export const MAX_ERROR_MESSAGE_CHARS = 300;

/** RFC 3986 encoding, as the SDK-HMAC-SHA256 canonical query expects. */
function encode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

function queryString(query: Record<string, string>): string {
  const keys = Object.keys(query).sort();
  return keys.map((k) => `${encode(k)}=${encode(query[k]!)}`).join("&");
}

const ERROR_CODE = /^[A-Za-z0-9_.-]{1,64}$/;

/** Pulls `{code, message}` out of any of the error shapes Huawei services use. */
export function parseErrorBody(text: string): { code?: string; message?: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return {};
  }
  if (!json || typeof json !== "object") return {};
  const o = json as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === "string" || typeof v === "number" ? String(v) : undefined);
  if (o.error_code !== undefined) return { code: str(o.error_code), message: str(o.error_msg) };
  for (const inner of Object.values(o)) {
    if (inner && typeof inner === "object" && !Array.isArray(inner)) {
      const e = inner as Record<string, unknown>;
      if (e.code !== undefined || e.message !== undefined)
        return { code: str(e.code), message: str(e.message) };
    }
  }
  return {};
}

/**
 * Signed JSON calls over Node's own http/https with keep-alive connections (./transport.ts), with the
 * per-request timeout, the client-side rate limit and the retry policy applied to every call.
 */
export class CloudHttp {
  private readonly scrubber: SecretScrubber;

  constructor(private readonly opts: CloudHttpOptions) {
    const { ak, sk, securityToken } = opts.credentials;
    this.scrubber = scrubberFor([ak, sk, securityToken ?? ""]);
  }

  /**
   * Text taken from a response, made fit for an error: every credential and any fragment of one
   * removed (../observability/scrub.ts), then cut short. In that order: cutting first could leave a
   * fragment that no longer matches a whole value.
   */
  private fromResponse(text: string): string {
    return cut(this.scrubber.scrub(text), MAX_ERROR_MESSAGE_CHARS);
  }

  get projectId(): string {
    return this.opts.projectId;
  }

  get deadline(): Deadline {
    return this.opts.deadline;
  }

  async request<T>(req: CloudRequest<T>): Promise<CloudResponse<T>> {
    const { metrics } = this.opts;
    const deadline = req.deadline ?? this.opts.deadline;
    return withRetry(() => this.once<T>(req, deadline), {
      policy: this.opts.policy,
      deadline,
      observer: {
        onRetry: (info) => {
          metrics.retries += 1;
          if (info.throttled) metrics.throttles += 1;
          this.opts.onRetry?.(info);
        },
      },
    });
  }

  private async once<T>(req: CloudRequest<T>, deadline: Deadline): Promise<CloudResponse<T>> {
    const base = this.opts.endpointOf(req.service);
    if (!base) throw new Error(`no endpoint configured for ${req.service}`);
    const limiter = this.opts.limiters[req.service];
    if (limiter && !(await limiter.take(deadline.remainingMs()))) {
      throw deadline.refusal(req.operation, "the time budget ran out waiting for the rate limit");
    }
    const remaining = deadline.remainingMs();
    if (remaining <= 0) throw deadline.refusal(req.operation);
    // Whole milliseconds, at least one: the deadline's margin can leave a fraction.
    const timeoutMs = Math.max(1, Math.floor(Math.min(this.opts.requestTimeoutMs, remaining)));

    const query: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) query[k] = String(v);
    const url = base + req.path;
    const qs = queryString(query);
    const bodyText = req.body === undefined ? undefined : JSON.stringify(req.body);
    const headers = signRequest({
      method: req.method,
      url,
      query,
      body: req.body,
      projectId: this.opts.projectId,
      credentials: this.opts.credentials,
    });

    this.opts.metrics.recordCall(req.service, !req.readOnly && WRITE_METHODS.has(req.method));
    let res: Exchange;
    try {
      res = await exchange(new URL(qs ? `${url}?${qs}` : url), {
        method: req.method,
        headers,
        body: bodyText,
        timeoutMs,
      });
    } catch (err) {
      if (err instanceof ResponseTooLargeError) {
        throw new ApiError(
          req.service,
          req.operation,
          err.status,
          err.code,
          `${req.operation}: ${req.service} answered ${err.status} with more than ${err.maxBytes} bytes; the connection was dropped`,
          undefined,
          { cause: err },
        );
      }
      const name = (err as Error)?.name;
      // The host (never the path or query) says which endpoint setting to check.
      const host = new URL(base).host;
      if (name === "TimeoutError" || name === "AbortError") {
        throw new RequestTimeoutError(req.service, req.operation, timeoutMs, host, { cause: err });
      }
      const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } };
      throw new NetworkError(
        req.service,
        req.operation,
        `${req.operation}: ${this.fromResponse(e?.code ?? e?.cause?.code ?? e?.message ?? "network error")} ${host}`,
        { cause: err },
      );
    }
    const { text } = res;

    if (res.status >= 200 && res.status < 300) {
      let body: unknown;
      try {
        body = text === "" ? undefined : JSON.parse(text);
      } catch {
        throw new ApiError(
          req.service,
          req.operation,
          res.status,
          "MALFORMED_RESPONSE",
          `${req.operation}: ${req.service} answered ${res.status} with a body that is not JSON`,
        );
      }
      if (req.schema === undefined) return { status: res.status, body: body as T };
      const checked = checkResponse(req.schema, body);
      if (!checked.success) {
        throw new ApiError(
          req.service,
          req.operation,
          res.status,
          "MALFORMED_RESPONSE",
          `${req.operation}: ${req.service} answered ${res.status} with an unexpected body (${this.fromResponse(checked.error.issues[0]?.message ?? "invalid")})`,
        );
      }
      return { status: res.status, body: checked.data };
    }
    const { code, message } = parseErrorBody(text);
    throw new ApiError(
      req.service,
      req.operation,
      res.status,
      // A code is an identifier: one that is not, or holds a credential, is not kept.
      code !== undefined && ERROR_CODE.test(code) && this.scrubber.scrub(code) === code
        ? code
        : `HTTP_${res.status}`,
      `${req.operation}: ${this.fromResponse(message ?? (text || res.statusText || "no message"))}`,
      parseRetryAfter(res.retryAfter),
    );
  }
}
