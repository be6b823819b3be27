/** What one error code means to a run, and to the operator who reads it in a dead letter. */
export interface ErrorCodeInfo {
  /** Worth trying again later whatever the HTTP status: by a later attempt, or by the platform's retry. */
  transient?: true;
  /** The API is throttling the calls: the run summary counts such retries as throttles. */
  throttle?: true;
  /**
   * Counts as done for this step: the state it was to reach is already there (a delete that finds the
   * member gone, a hook callback to a hook that no longer waits).
   */
  doneFor?: "delete_member" | "complete_hook";
  /** The channel's member quota is full: an add refused for it is tried again after the run's removals. */
  memberQuota?: true;
  /**
   * AS refusing a batch instance action for the group's current state, not for the request: a scaling
   * activity in progress or cooling down, the group's min/max, or the instance no longer INSERVICE. The
   * next run tries again; it is not a failure.
   */
  refusedForNow?: true;
  /**
   * Raised by this code's own error class (./errors.ts), never read from an API's answer: an answer
   * that carries the same string is judged by its HTTP status alone.
   */
  local?: true;
  /** What an operator does about it (the CLI's `fix:` lines); README's troubleshooting table says more. */
  hint?: string;
}

/**
 * Every error code the functions act on or advise about, in one table; README's troubleshooting table
 * documents the same codes (test/cloud/error-codes.test.ts holds the two together). Sources: the APIG
 * error code table (https://support.huaweicloud.com/en-us/api-apig/ErrorCode.html); APIG.0308 is the API
 * gateway's own throttling in front of every service
 * (https://support.huaweicloud.com/intl/en-us/oce_faq/en-us_topic_0000001887959462.html); the AS codes
 * are the AS API reference's, appendix "Error Codes" (as in github.com/opentelekomcloud-docs/auto-scaling
 * `api-ref/source/appendix/error_codes.rst`).
 */
export const ERROR_CODES = {
  "APIG.3110": {
    memberQuota: true,
    hint: "the channel's member quota is reached (default 10 members per VPC channel): raise the quota, remove members you do not need, or cap the AS group's max size",
  },
  "APIG.3023": {
    hint: "the VPC channel does not exist: check vpc_channel_id and instance_id in the binding",
  },
  "APIG.3024": { doneFor: "delete_member" },
  "APIG.3030": {
    hint: "the gateway instance does not exist here: check instance_id, gateway (roma/apig) and region",
  },
  "APIG.1002": {
    hint: "the signature or credentials were refused: check the agency (or HUAWEICLOUD_SDK_AK/SK), project id and clock",
  },
  "APIG.1005": {
    hint: "no permission for this gateway API in this project: check that HUAWEICLOUD_SDK_PROJECT_ID is the project of the region the gateway is in, then the agency's custom policy (infra/README.md, permissions)",
  },
  "APIG.1113": {
    hint: "the agency may not change this VPC channel: check the custom policy (infra/README.md, permissions)",
  },
  "APIG.2012": {
    hint: "a value was refused: for ip channels the instance needs a private IPv4; check the binding's fields",
  },
  // A system error, also the answer to concurrent writes to one channel.
  "APIG.9999": {
    transient: true,
    hint: "gateway system error or concurrent writes to one channel: transient, replay it",
  },
  // Too many requests.
  "APIG.9008": {
    transient: true,
    throttle: true,
    hint: "the gateway throttled the calls: lower API_RATE_LIMIT or MAX_CONCURRENCY, then replay",
  },
  "APIG.0308": { transient: true, throttle: true },
  // Failed to synchronise to etcd.
  "APIG.3500": { transient: true },
  "AS.0001": { transient: true },
  "AS.0006": {
    hint: "AS refused the credentials: check the agency (or HUAWEICLOUD_SDK_AK/SK) and project id",
  },
  "AS.0011": {
    hint: "the agency may not call this AS API: check the custom policy (infra/README.md, permissions)",
  },
  "AS.2007": { hint: "the AS group does not exist: check scaling_group_id and region" },
  "AS.7042": {
    doneFor: "complete_hook",
    hint: "the lifecycle hook no longer waits (it timed out or was completed): nothing to do",
  },
  // No scaling action allowed in the cooldown period.
  "AS.0026": { refusedForNow: true },
  // A scaling action in the group is in progress.
  "AS.0034": { refusedForNow: true },
  // Not allowed in the group's current status.
  "AS.2020": { refusedForNow: true },
  // Not allowed in the group's current [%s] status.
  "AS.2033": { refusedForNow: true },
  // The group is in active status: wait until the scaling action is complete.
  "AS.2047": { refusedForNow: true },
  // Max instances reached.
  "AS.0050": { refusedForNow: true },
  // Expected number outside min/max.
  "AS.2005": { refusedForNow: true },
  // More instances than the group's maximum.
  "AS.2035": { refusedForNow: true },
  // Fewer instances than the group's minimum.
  "AS.2036": { refusedForNow: true },
  // The instance is not INSERVICE (any more).
  "AS.4015": { refusedForNow: true },
  // An answer that is not the expected JSON.
  MALFORMED_RESPONSE: { transient: true },
  // An answer past the transport's cap (./transport.ts).
  RESPONSE_TOO_LARGE: { transient: true },
  NETWORK_ERROR: {
    transient: true,
    local: true,
    hint: "the endpoint could not be reached: check the *_ENDPOINT values, VPC access and DNS",
  },
  REQUEST_TIMEOUT: {
    transient: true,
    local: true,
    hint: "no answer in REQUEST_TIMEOUT_MS: transient, replay it",
  },
  // The platform's retry brings a fresh time budget (withRetry never retries it within the invocation).
  DEADLINE_EXCEEDED: {
    transient: true,
    local: true,
    hint: "the invocation ran out of time: raise the function timeout or lower drain_seconds",
  },
  // Never transient: the operator who interrupted the run runs it again.
  INTERRUPTED: {
    local: true,
    hint: "the run was interrupted (Ctrl-C or SIGTERM) before this call was sent, so it changed nothing: run sync again",
  },
  // A group that scales while it is listed grows its total.
  PAGING_INCONSISTENT: { transient: true, local: true },
  INVALID_ID: { local: true },
  // ECS left requested servers out of its answer, asked twice.
  ANSWER_INCOMPLETE: {
    transient: true,
    local: true,
    hint: "ECS left some of the servers asked for out of its answer, twice: transient, the next run asks again (or replay it)",
  },
} as const satisfies Record<string, ErrorCodeInfo>;

export type ErrorCode = keyof typeof ERROR_CODES;

/**
 * The gateway's parameter errors, APIG.2000–2025 in its error code table (2001 a required field missing,
 * 2012 an invalid value, …). The table has no code of its own for a member add into a member group the
 * channel lacks, nor for a member of the other member type, so any of these refusing an add may mean
 * either: a run that wrote on a guess of the two reads the channel and writes once more.
 */
export const PARAMETER_ERROR = /^APIG\.20\d\d$/;

const NOTHING: ErrorCodeInfo = {};

/** What the table says of a code; nothing for a code it does not hold. */
export function errorCodeInfo(code: string): ErrorCodeInfo {
  return Object.hasOwn(ERROR_CODES, code) ? ERROR_CODES[code as ErrorCode] : NOTHING;
}

/** What an operator does about a code, when the table says. */
export function hintFor(code: string): string | undefined {
  return errorCodeInfo(code).hint;
}

/**
 * A loopback endpoint in a network error's message (`listMembers: ECONNREFUSED 127.0.0.1:4011`, the
 * host as the URL writes it, so IPv6 in brackets). The word boundary is for the names that start with
 * a word character: none falls between a space and `[`.
 */
const LOOPBACK_HOST = /(?:\b127(?:\.\d{1,3}){3}|\blocalhost|\[::1\])(?::(\d+))?/i;

/**
 * What an operator does about an error: the table's hint, except that nothing answering on a loopback
 * address is, nearly always, the local emulator not running there.
 */
export function hintForError(error: { code: string; message: string }): string | undefined {
  const loopback = error.code === "NETWORK_ERROR" ? LOOPBACK_HOST.exec(error.message) : null;
  if (loopback) {
    const port = loopback[1] ?? "<port>";
    return `nothing answers at ${loopback[0]}: is the emulator running there (npm run emulator -- --port ${port})? Else check the *_ENDPOINT values`;
  }
  return hintFor(error.code);
}
