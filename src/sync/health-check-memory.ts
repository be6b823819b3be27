/**
 * When a channel's health check was last found as its bindings want it (read and equal, or set), so
 * that a converged channel is not read every run only to compare it. Kept by a warm function instance
 * across its invocations, like the rate limits' buckets; a fresh instance remembers nothing and so
 * compares at its first run. A check that drifts (an operator's edit) is therefore set right by the
 * first run after `maxAgeMs` on each instance, or by any run that reads the channel for another reason;
 * `maxAgeMs` 0 compares every run. The key holds the check itself: a binding given another check is
 * compared at its next run.
 */
export class HealthCheckMemory {
  private readonly confirmedAt = new Map<string, number>();

  constructor(private readonly maxAgeMs: number) {}

  /** Whether a run at `now` must read the channel to compare its health check. */
  due(key: string, now: number): boolean {
    const at = this.confirmedAt.get(key);
    // A clock that went back cannot say how long ago it was.
    return at === undefined || now - at >= this.maxAgeMs || now < at;
  }

  /** The channel's health check was found as wanted, or set, at `now`. */
  confirmed(key: string, now: number): void {
    this.confirmedAt.set(key, now);
  }

  /** The channel's health check was found otherwise and could not be set: the next run compares again. */
  forget(key: string): void {
    this.confirmedAt.delete(key);
  }
}
