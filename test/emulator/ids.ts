import { createHash, randomBytes, randomUUID } from "node:crypto";

/** A 32-character lower-case hex id, the shape the gateway uses for members, channels and groups. */
export function newHexId(): string {
  return randomBytes(16).toString("hex");
}

/** A UUID, the shape AS and FunctionGraph use for keys and request ids. */
export function newUuid(): string {
  return randomUUID();
}

/** A 32-character hex id derived from `text`, so loaded state gets the same ids on every load. */
export function hashId(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 32);
}

/**
 * Hands out ISO timestamps that strictly increase (by at least 1 ms). Listings sort by create_time
 * then id; unique times keep the order of creation, so paging is stable and tests are deterministic.
 */
export class Clock {
  private last = 0;

  /** `now` is where time comes from: the real clock, or a test's virtual one. */
  constructor(private readonly now: () => number = Date.now) {}

  nowIso(): string {
    return new Date(this.nextMs()).toISOString();
  }

  /**
   * The time now, as is (not made unique): when something happened, for the call log and a member's
   * disabling. Unique stamps run ahead of the real time in a burst of them, so they cannot measure how
   * long something took; these can.
   */
  instantIso(): string {
    return new Date(this.now()).toISOString();
  }

  private nextMs(): number {
    this.last = Math.max(this.now(), this.last + 1);
    return this.last;
  }
}

/** Milliseconds since the epoch for an ISO time, NaN-safe for sorting. */
export function timeMs(iso: string): number {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? 0 : ms;
}
