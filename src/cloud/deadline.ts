/** The time an invocation may still spend, leaving a margin to log the summary and dead letters. */
export class Deadline {
  private readonly endsAt: number;
  constructor(
    remainingMs: number,
    readonly safetyMarginMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.endsAt = now() + Math.max(0, remainingMs - safetyMarginMs);
  }

  /** FunctionGraph's `getRemainingTimeInMilliSeconds()` when the context has it, else `fallbackMs`. */
  static fromContext(
    context: { getRemainingTimeInMilliSeconds?: () => unknown } | undefined,
    fallbackMs: number,
    safetyMarginMs: number,
  ): Deadline {
    const raw =
      typeof context?.getRemainingTimeInMilliSeconds === "function"
        ? Number(context.getRemainingTimeInMilliSeconds())
        : Number.NaN;
    const remaining = Number.isFinite(raw) && raw > 0 ? raw : fallbackMs;
    // A short invocation still needs most of its time for work: never reserve more than a fifth of it.
    return new Deadline(remaining, Math.min(safetyMarginMs, remaining / 5));
  }

  /**
   * The same deadline moved `ms` later, into the safety margin: for publishing the dead letters the
   * work left behind when its own time ran out.
   */
  extendedBy(ms: number): Deadline {
    return new Deadline(this.endsAt - this.now() + ms, 0, this.now);
  }

  /** This deadline, or `ms` from now if that comes first: for a step that must end within a time of its own. */
  within(ms: number): Deadline {
    return new Deadline(Math.min(this.remainingMs(), ms), 0, this.now);
  }

  remainingMs(): number {
    return Math.max(0, this.endsAt - this.now());
  }

  expired(): boolean {
    return this.remainingMs() <= 0;
  }
}
