import { QuotaExceededError } from '../errors/index.js';
import type { QuotaRefusal } from './types.js';

/** Upstream's `error` value on every 429 (§4.4, §5.9), which clients match on. */
export const RATE_LIMIT_EXCEEDED = 'rate_limit_exceeded';

/**
 * A 429 (SMPP ESME_RTHROTTLED, SMTP 452) with upstream's body fields in `details`, which the web
 * error middleware spreads into the answer, and how long until the caller may try again.
 */
export class QuotaRefusedError extends QuotaExceededError {
  override name = 'QuotaRefusedError';
  /** Until the limit resets, ms (for Retry-After). */
  readonly retryAfterMs: number;
  /** Set for message quotas (not for API-key rate limits). */
  readonly refusal?: QuotaRefusal;

  constructor(message: string, details: Record<string, unknown>, retryAfterMs: number, refusal?: QuotaRefusal) {
    super(message, { details });
    this.retryAfterMs = Math.max(0, retryAfterMs);
    this.refusal = refusal;
  }
}

/** The REST answer to a refused send (upstream §5.9 step 5), `number` in canonical E.164. */
export function limitExceededError(refusal: QuotaRefusal): QuotaRefusedError {
  const details = {
    error: RATE_LIMIT_EXCEEDED,
    message: refusal.message,
    limit_type: refusal.limitType,
    period: refusal.period,
    number: refusal.number,
    current_usage: refusal.currentUsage,
    limit: refusal.limit,
  };
  return new QuotaRefusedError(refusal.message, details, refusal.retryAfterMs, refusal);
}

/** Upstream's per-key rate limit answer (§4.4). */
export function apiKeyRateError(rateLimit: number, retryAfterMs: number): QuotaRefusedError {
  const message = `API key rate limit exceeded (${rateLimit} requests/minute)`;
  return new QuotaRefusedError(message, { error: RATE_LIMIT_EXCEEDED, message, rate_limit: rateLimit }, retryAfterMs);
}
