/**
 * Answers every failed login at the same moment after it began, so the time of an answer
 * says nothing about which check refused it (an unknown username is a map miss, an address
 * allow-list may wait on DNS, the limiter on Redis). Also slows a guesser down per attempt.
 */
export class FailureDelay {
  constructor(
    private readonly delayMs: number,
    private readonly deps: { now?: () => number; sleep?: (ms: number) => Promise<void> } = {},
  ) {}

  /** The clock reading to pass to `wait` when the attempt arrives. */
  start(): number {
    return (this.deps.now ?? performance.now.bind(performance))();
  }

  /** Resolves `delayMs` after `startedAt` (at once when that has passed). */
  async wait(startedAt: number): Promise<void> {
    const left = startedAt + this.delayMs - this.start();
    if (left <= 0) return;
    await (this.deps.sleep ?? sleep)(left);
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
