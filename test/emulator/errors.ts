import type { Service } from "./types";

/** A handler's way to answer with an API error: status, the service's error body, extra headers. */
export class ApiError extends Error {
  override name = "ApiError";

  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(`HTTP ${status}: ${JSON.stringify(body)}`);
  }
}

/** `{"error_code","error_msg"}`: the gateway family, SMN and FunctionGraph. */
export function codeError(status: number, code: string, msg: string): ApiError {
  return new ApiError(status, { error_code: code, error_msg: msg });
}

/** `{"error":{"code","message"}}`: Auto Scaling. */
export function asError(status: number, code: string, message: string): ApiError {
  return new ApiError(status, { error: { code, message } });
}

/** Gateway (ROMA Connect / APIG) errors with the wording of the real API. */
export const apigErrors = {
  missing: (name: string) =>
    codeError(400, "APIG.2001", `The request parameters must be specified, parameter name:${name}`),
  outOfRange: (name: string) =>
    codeError(
      400,
      "APIG.2004",
      `The parameter value is outside the allowable range,parameterName:${name}. Please refer to the support documentation`,
    ),
  invalid: (name: string) =>
    codeError(
      400,
      "APIG.2012",
      `Invalid parameter value,parameterName:${name}. Please refer to the support documentation`,
    ),
  invalidIp: () => codeError(400, "APIG.2015", "Invalid IP address"),
  instanceNotFound: (id: string) => codeError(404, "APIG.3030", `The instance does not exist;id:${id}`),
  channelNotFound: (id: string) => codeError(404, "APIG.3023", `The VPC channel does not exist,id:${id}`),
  memberNotFound: (id: string) => codeError(404, "APIG.3024", `The VPC instance does not exist,id:${id}`),
  quotaExceeded: () =>
    codeError(
      403,
      "APIG.3110",
      "The number of cloud servers in the VPC channel exceeds the maximum allowed limit",
    ),
  systemError: () => codeError(500, "APIG.9999", "System error"),
};

const UNAUTHORIZED = { error_code: "APIG.1002", error_msg: "Incorrect token or token resolution failed" };
const FORBIDDEN = { error_code: "APIG.1005", error_msg: "No permissions to request this method" };
const THROTTLED = {
  error_code: "APIG.0308",
  error_msg: "The throttling threshold has been reached: policy user over ratelimit,limit:20,time:1 second",
};

/** 401 (bad credentials or signature) or 403 (wrong project) in the service's error format. */
export function authError(service: Service | "unknown", status: 401 | 403): ApiError {
  if (service === "as") {
    const message =
      status === 401
        ? "Authentication failed: the token or request signature is invalid"
        : "No permissions to access this project";
    return asError(status, "AS.0006", message);
  }
  return new ApiError(status, status === 401 ? UNAUTHORIZED : FORBIDDEN);
}

/** The body a fault answers with when it names a status but no body. */
export function faultBody(service: Service | "unknown", status: number): unknown {
  if (status === 429) return THROTTLED;
  if (service === "as") return { error: { code: "AS.0001", message: "System error" } };
  return { error_code: "APIG.9999", error_msg: "System error" };
}

/** What the API gateway in front of every service answers for a path it does not know. */
export function routeNotFound(): ApiError {
  return codeError(404, "APIG.0101", "The API does not exist or has not been published in the environment");
}
