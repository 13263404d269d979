/**
 * Exponential backoff for redelivery: base × 2^(attempt−1), capped, with ±20 % jitter so many
 * messages failing together do not retry together.
 */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random = Math.random): number {
  const raw = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(raw * (0.8 + 0.4 * random()));
}
