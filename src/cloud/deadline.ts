import { type CloudError, DeadlineExceededError, InterruptedError } from "./errors";

/**
 * The time an invocation may still spend, leaving a margin to log the summary and dead letters. An
 * interrupt (the CLI's Ctrl-C or SIGTERM) ends it at once: from then on no call starts and no wait
 * lasts, while the calls already sent finish.
 */
export class Deadline {
  private readonly endsAt: number;
  constructor(
    remainingMs: number,
    readonly safetyMarginMs: number,
    private readonly now: () => number = Date.now,
    private readonly interrupt?: AbortSignal,
  ) {
    this.endsAt = now() + Math.max(0, remainingMs - safetyMarginMs);
  }

  /** FunctionGraph's `getRemainingTimeInMilliSeconds()` when the context has it, else `fallbackMs`. */
  static fromContext(
    context: { getRemainingTimeInMilliSeconds?: () => unknown } | undefined,
    fallbackMs: number,
    safetyMarginMs: number,
    interrupt?: AbortSignal,
  ): Deadline {
    const raw =
      typeof context?.getRemainingTimeInMilliSeconds === "function"
        ? Number(context.getRemainingTimeInMilliSeconds())
        : Number.NaN;
    const remaining = Number.isFinite(raw) && raw > 0 ? raw : fallbackMs;
    // A short invocation still needs most of its time for work: never reserve more than a fifth of it.
    return new Deadline(remaining, Math.min(safetyMarginMs, remaining / 5), Date.now, interrupt);
  }

  /**
   * The same deadline moved `ms` later, into the safety margin: for publishing the dead letters the
   * work left behind when its own time ran out. An interrupt does not end it: the dead letters of an
   * interrupted run are what says what it left undone.
   */
  extendedBy(ms: number): Deadline {
    return new Deadline(this.endsAt - this.now() + ms, 0, this.now);
  }

  /**
   * This deadline, or `ms` from now if that comes first: for a step that must end within a time of its
   * own. An interrupt ends it too.
   */
  within(ms: number): Deadline {
    return new Deadline(Math.min(this.remainingMs(), ms), 0, this.now, this.interrupt);
  }

  get interrupted(): boolean {
    return this.interrupt?.aborted === true;
  }

  remainingMs(): number {
    if (this.interrupted) return 0;
    return Math.max(0, this.endsAt - this.now());
  }

  expired(): boolean {
    return this.remainingMs() <= 0;
  }

  /** Why a call may not start now: the run was interrupted, or its time is used up. */
  refusal(operation: string | undefined, why = "the invocation's time budget is used up"): CloudError {
    const what = operation === undefined ? "" : `${operation}: `;
    return this.interrupted
      ? new InterruptedError(`${what}not sent: the run was interrupted`, { operation })
      : new DeadlineExceededError(`${what}${why}`, { operation });
  }

  /** Waits `ms`, or less when the run is interrupted meanwhile. */
  sleep(ms: number): Promise<void> {
    const interrupt = this.interrupt;
    if (interrupt === undefined) return new Promise((resolve) => setTimeout(resolve, ms));
    if (interrupt.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        interrupt.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      interrupt.addEventListener("abort", done);
    });
  }
}
