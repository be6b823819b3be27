import { ApiError, CloudError } from "./errors";

/** Codes that mean the API is throttling us; counted separately in the run summary. */
export const THROTTLE_CODES: ReadonlySet<string> = new Set(["APIG.9008", "APIG.0308"]);

/**
 * Worth trying again later: each cloud error says whether it is (../cloud/errors.ts). Running out of the
 * invocation's time is transient too: the platform's retry brings a fresh budget. So is a listing that
 * did not add up (PAGING_INCONSISTENT): a group that scales while it is listed grows its total.
 */
export function isTransient(err: unknown): boolean {
  return err instanceof CloudError && err.transient;
}

export function isThrottle(err: unknown): boolean {
  return err instanceof ApiError && (err.status === 429 || THROTTLE_CODES.has(err.code));
}

/** A delete that finds the member gone has done its job. */
export function isAlreadyDeleted(err: unknown): boolean {
  return err instanceof ApiError && err.code === "APIG.3024";
}

/** A hook callback refused because the hook no longer waits has nothing left to do. */
export function isHookAlreadyCompleted(err: unknown): boolean {
  return err instanceof ApiError && err.code === "AS.7042";
}

/** The channel is at its member quota (10 by default; raised by a service ticket). */
export function isQuotaExceeded(err: unknown): boolean {
  return err instanceof ApiError && err.code === "APIG.3110";
}

/**
 * AS refusing a batch instance action for the group's current state, not for the request: a scaling
 * activity in progress or cooling down, the group's min/max limits, or the instance no longer INSERVICE.
 * Worth trying again next run, not a failure (OTC AS API reference, appendix "Error Codes").
 */
export const BATCH_ACTION_REFUSALS: ReadonlySet<string> = new Set([
  "AS.0026", // no scaling action allowed in the cooldown period
  "AS.0034", // a scaling action in the group is in progress
  "AS.2020", // not allowed in the group's current status
  "AS.2033", // not allowed in the group's current [%s] status
  "AS.2047", // the group is in active status: wait until the scaling action is complete
  "AS.0050", // max instances reached
  "AS.2005", // expected number outside min/max
  "AS.2035", // more instances than the group's maximum
  "AS.2036", // fewer instances than the group's minimum
  "AS.4015", // the instance is not INSERVICE (any more)
]);

export function isBatchActionRefused(err: unknown): boolean {
  return err instanceof ApiError && BATCH_ACTION_REFUSALS.has(err.code);
}
