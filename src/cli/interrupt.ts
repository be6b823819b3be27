/**
 * Ctrl-C and SIGTERM during a run. The first stops the run starting anything new (its calls in flight
 * finish) and the run then reports what it did and what it left; a second one ends the process at once.
 */

export const INTERRUPT_SIGNALS = ["SIGINT", "SIGTERM"] as const;
export type InterruptSignal = (typeof INTERRUPT_SIGNALS)[number];

/** Where the CLI hears the signals: the process, or an emitter in tests. */
export interface SignalSource {
  on(event: InterruptSignal, listener: (signal: InterruptSignal) => void): unknown;
  off(event: InterruptSignal, listener: (signal: InterruptSignal) => void): unknown;
}

export interface InterruptHandlers {
  /** The first signal: the run's interrupt signal is aborted right after this returns. */
  first(signal: InterruptSignal): void;
  /** Any later signal: the operator does not want to wait. */
  again(signal: InterruptSignal): void;
}

/** The interrupts of one run, from its start to `dispose()`. */
export class InterruptWatch {
  private readonly controller = new AbortController();
  private received: InterruptSignal | undefined;
  private graceTimer: NodeJS.Timeout | undefined;
  private readonly onGraceEnd: Array<() => void> = [];

  private readonly listener = (signal: InterruptSignal) => {
    if (this.received !== undefined) {
      this.handlers.again(signal);
      return;
    }
    this.received = signal;
    this.handlers.first(signal);
    this.controller.abort();
    if (this.graceMs !== undefined) this.startGrace(this.graceMs);
  };

  constructor(
    private readonly source: SignalSource | undefined,
    private readonly handlers: InterruptHandlers,
    /** How long the run may take to wind down after the first signal (unset: as long as it takes). */
    private readonly graceMs?: number,
  ) {
    for (const s of INTERRUPT_SIGNALS) source?.on(s, this.listener);
  }

  /** Aborted by the first signal. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** The first signal received, if any. */
  get interruptedBy(): InterruptSignal | undefined {
    return this.received;
  }

  /** Resolves once the run has had its grace time after the first signal; never without a signal. */
  graceEnded(): Promise<"grace_ended"> {
    return new Promise((resolve) => this.onGraceEnd.push(() => resolve("grace_ended")));
  }

  private startGrace(ms: number): void {
    this.graceTimer = setTimeout(() => {
      for (const end of this.onGraceEnd.splice(0)) end();
    }, ms);
  }

  /** Stops listening; the process's own handling of the signals is back. */
  dispose(): void {
    clearTimeout(this.graceTimer);
    for (const s of INTERRUPT_SIGNALS) this.source?.off(s, this.listener);
  }
}
