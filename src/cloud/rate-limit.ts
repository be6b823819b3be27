/**
 * A token bucket: at most `burst` calls at once, refilled at `ratePerSecond`. Callers await `take()`,
 * so a large reconcile paces itself instead of tripping the API's throttling (APIG.0308).
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    readonly ratePerSecond: number,
    readonly burst: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = burst;
    this.last = now();
  }

  /**
   * Waits for a token; resolves true once taken. A caller that could not have its token within
   * `maxWaitMs` (say, its invocation's deadline) resolves false at its turn without waiting or taking
   * one, so the callers behind it, and the next invocation of a warm container, are not held up.
   */
  take(maxWaitMs = Number.POSITIVE_INFINITY): Promise<boolean> {
    const giveUpAt = this.now() + maxWaitMs;
    // Chain callers so tokens are handed out in arrival order.
    const turn = this.queue.then(() => this.waitForToken(giveUpAt));
    this.queue = turn.then(() => undefined);
    return turn;
  }

  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.ratePerSecond);
    this.last = t;
  }

  private async waitForToken(giveUpAt: number): Promise<boolean> {
    this.refill();
    while (this.tokens < 1) {
      const waitMs = Math.ceil(((1 - this.tokens) / this.ratePerSecond) * 1000);
      if (this.now() + waitMs > giveUpAt) return false;
      await new Promise((resolve) => setTimeout(resolve, waitMs));
      this.refill();
    }
    this.tokens -= 1;
    return true;
  }
}
