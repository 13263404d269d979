/**
 * Failed binds per source IP (upstream BUG-11: no brute-force lockout). After `maxFailures`
 * failures within a minute, binds from that IP are refused at once, without looking at the
 * credentials, until the oldest failure is a minute old. Counted per node: behind a VIP that
 * spreads connections over N nodes an attacker gets at most N × maxFailures tries a minute.
 */

const WINDOW_MS = 60_000;
/** Forget idle IPs after this many checks, so a scan of many IPs cannot grow the map for ever. */
const PRUNE_EVERY = 1_000;

export interface BindLimiterOptions {
  /** Failures per minute before an IP is refused; 0 turns the limiter off. */
  maxFailures: number;
}

export class BindFailureLimiter {
  readonly #failures = new Map<string, number[]>();
  #checks = 0;

  constructor(
    private readonly options: BindLimiterOptions,
    private readonly now: () => number = Date.now,
  ) {}

  /** True when `ip` has used up its failures for now. */
  blocked(ip: string): boolean {
    if (this.options.maxFailures === 0) return false;
    if (++this.#checks % PRUNE_EVERY === 0) this.prune();
    return this.recent(ip).length >= this.options.maxFailures;
  }

  recordFailure(ip: string): void {
    if (this.options.maxFailures === 0) return;
    const recent = this.recent(ip);
    recent.push(this.now());
    // Only the last maxFailures matter for the verdict.
    if (recent.length > this.options.maxFailures) recent.splice(0, recent.length - this.options.maxFailures);
    this.#failures.set(ip, recent);
  }

  /** IPs currently tracked (for tests). */
  get size(): number {
    return this.#failures.size;
  }

  private recent(ip: string): number[] {
    const since = this.now() - WINDOW_MS;
    const list = (this.#failures.get(ip) ?? []).filter((at) => at > since);
    if (list.length === 0) this.#failures.delete(ip);
    return list;
  }

  private prune(): void {
    for (const ip of [...this.#failures.keys()]) this.recent(ip);
  }
}
