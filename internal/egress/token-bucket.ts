/**
 * A send-rate limit: `ratePerSec` tokens a second, bursts up to `burst`. `take()` waits its
 * turn in FIFO order; waiters are released by one timer, never by polling. Used by the carrier
 * leader, which is the only node sending for its carrier, so the limit holds cluster-wide.
 */
export class TokenBucket {
  #tokens: number;
  #last: number;
  #waiters: Array<() => void> = [];
  #timer?: NodeJS.Timeout;

  constructor(
    private ratePerSec: number,
    private burst = Math.max(1, ratePerSec),
    private readonly now: () => number = () => performance.now(),
  ) {
    this.#tokens = this.burst;
    this.#last = now();
  }

  /** Changes the rate (a carrier's max_rps edited at run time). */
  setRate(ratePerSec: number, burst = Math.max(1, ratePerSec)): void {
    this.refill();
    this.ratePerSec = ratePerSec;
    this.burst = burst;
    this.#tokens = Math.min(this.#tokens, burst);
  }

  /** Takes a token if one is free now and nobody waits ahead; false otherwise (nothing taken). */
  tryTake(): boolean {
    this.refill();
    if (this.#waiters.length > 0 || this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  take(): Promise<void> {
    if (this.tryTake()) return Promise.resolve();
    return new Promise((resolve) => {
      this.#waiters.push(resolve);
      this.schedule();
    });
  }

  /** Releases every waiter at once (the worker is stopping; sends not yet written are given back). */
  close(): void {
    clearTimeout(this.#timer);
    for (const waiter of this.#waiters.splice(0)) waiter();
  }

  private refill(): void {
    const now = this.now();
    this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#last) / 1000) * this.ratePerSec);
    this.#last = now;
  }

  private schedule(): void {
    if (this.#timer) return;
    const wait = Math.max(1, ((1 - this.#tokens) / this.ratePerSec) * 1000);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.refill();
      while (this.#waiters.length > 0 && this.#tokens >= 1) {
        this.#tokens -= 1;
        this.#waiters.shift()!();
      }
      if (this.#waiters.length > 0) this.schedule();
    }, wait);
  }
}
