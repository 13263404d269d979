/** HTTP statuses a carrier commonly answers, kept as they are; any other is counted by class. */
const KNOWN_STATUSES = new Set([400, 401, 403, 404, 408, 409, 413, 422, 429, 500, 502, 503, 504]);

/**
 * The `code` label of msggw_carrier_errors_total: a bounded set whatever the carrier answers
 * (a carrier's HTTP status is a peer's input). Without a status, a retryable failure is one the
 * carrier never answered (timeout, connection refused or reset); any other is ours (`other`).
 */
export function carrierErrorCode(failure: { status?: number; retryable: boolean }): string {
  const { status } = failure;
  if (status === undefined) return failure.retryable ? 'no_answer' : 'other';
  if (KNOWN_STATUSES.has(status)) return String(status);
  return status >= 100 && status < 600 ? `${Math.floor(status / 100)}xx` : 'other';
}
