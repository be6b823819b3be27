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

  nowIso(): string {
    return new Date(this.nextMs()).toISOString();
  }

  private nextMs(): number {
    this.last = Math.max(Date.now(), this.last + 1);
    return this.last;
  }
}

/** Milliseconds since the epoch for an ISO time, NaN-safe for sorting. */
export function timeMs(iso: string): number {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? 0 : ms;
}
