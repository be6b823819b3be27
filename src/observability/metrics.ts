import type { Service } from "../config/keys";

/** Counters for one invocation, printed in the run-summary log line. */
export class RunMetrics {
  readonly startedAt = performance.now();
  readonly calls: Partial<Record<Service, number>> = {};
  readonly writes: Partial<Record<Service, number>> = {};
  retries = 0;
  throttles = 0;

  recordCall(service: Service, write: boolean): void {
    this.calls[service] = (this.calls[service] ?? 0) + 1;
    if (write) this.writes[service] = (this.writes[service] ?? 0) + 1;
  }

  totalCalls(): number {
    return Object.values(this.calls).reduce((a, b) => a + b, 0);
  }

  totalWrites(): number {
    return Object.values(this.writes).reduce((a, b) => a + b, 0);
  }

  durationMs(): number {
    return Math.round(performance.now() - this.startedAt);
  }
}
