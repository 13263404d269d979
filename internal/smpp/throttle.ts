/**
 * A client's max_tps (submit_sm per second) as a token bucket per client, shared by the client's
 * sessions on this node. Per node, not cluster-wide: a client bound to several nodes gets max_tps
 * on each (a Redis round trip per submit_sm would cost more than the limit protects). A bucket
 * holds one second's worth, so a client may burst max_tps at once, then max_tps per second.
 */

interface Bucket {
  tokens: number;
  at: number;
  rate: number;
}

/** Drop a bucket idle this long; it would be full again anyway. */
const IDLE_MS = 60_000;

export class SubmitThrottle {
  readonly #buckets = new Map<number, Bucket>();

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** Takes one token for `clientId` at `ratePerSecond` (0 = unlimited); false when none is left. */
  take(clientId: number, ratePerSecond: number): boolean {
    if (!(ratePerSecond > 0)) return true;
    const now = this.now();
    const bucket = this.#buckets.get(clientId) ?? { tokens: ratePerSecond, at: now, rate: ratePerSecond };
    // A changed max_tps applies at once; keep what the bucket holds up to the new size.
    bucket.rate = ratePerSecond;
    bucket.tokens = Math.min(ratePerSecond, bucket.tokens + ((now - bucket.at) / 1000) * ratePerSecond);
    bucket.at = now;
    this.#buckets.set(clientId, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  /** Forgets buckets unused for a minute (called by the server's housekeeping tick). */
  prune(): void {
    const cutoff = this.now() - IDLE_MS;
    for (const [id, bucket] of this.#buckets) if (bucket.at < cutoff) this.#buckets.delete(id);
  }
}
