import { errorCodeInfo, PARAMETER_ERROR } from "./error-codes";
import { ApiError, CloudError } from "./errors";

/**
 * Worth trying again later: each cloud error says whether it is (./errors.ts, from ./error-codes.ts).
 * Running out of the invocation's time is transient too: the platform's retry brings a fresh budget. So
 * is a listing that did not add up (PAGING_INCONSISTENT): a group that scales while it is listed grows
 * its total.
 */
export function isTransient(err: unknown): boolean {
  return err instanceof CloudError && err.transient;
}

/** Throttling: HTTP 429, or a code that says so; counted separately in the run summary. */
export function isThrottle(err: unknown): boolean {
  return err instanceof ApiError && (err.status === 429 || errorCodeInfo(err.code).throttle === true);
}

/** A delete that finds the member gone has done its job. */
export function isAlreadyDeleted(err: unknown): boolean {
  return err instanceof ApiError && errorCodeInfo(err.code).doneFor === "delete_member";
}

/** A hook callback refused because the hook no longer waits has nothing left to do. */
export function isHookAlreadyCompleted(err: unknown): boolean {
  return err instanceof ApiError && errorCodeInfo(err.code).doneFor === "complete_hook";
}

/** The channel is at its member quota (10 by default; raised by a service ticket). */
export function isQuotaExceeded(err: unknown): boolean {
  return err instanceof ApiError && errorCodeInfo(err.code).memberQuota === true;
}

/** AS refusing a batch instance action for the group's current state: worth trying again next run. */
export function isBatchActionRefused(err: unknown): boolean {
  return err instanceof ApiError && errorCodeInfo(err.code).refusedForNow === true;
}

/** A request refused for one of its values (./error-codes.ts, PARAMETER_ERROR). */
export function isParameterRefusal(err: unknown): boolean {
  return err instanceof ApiError && PARAMETER_ERROR.test(err.code);
}
