import type { TenantApiKey } from '../store/index.js';
import type { Counters } from './counters.js';
import { apiKeyRateError } from './errors.js';
import type { ApiKeyLimit } from './types.js';

/** Upstream's window (§4.4): requests per minute. */
export const API_KEY_WINDOW_SECS = 60;

/**
 * Per-minute request limit of tenant API keys (upstream §4.4), on the same counters as quotas, so
 * it holds across the cluster (upstream's was per instance, BUG-25). The window is the counter's
 * own: a minute from the key's first request (its TTL), then a fresh one.
 * A refused request is taken back off the count (upstream counted only the requests it let
 * through), so a client that keeps retrying is let in again when the window ends.
 */
export function createApiKeyLimit(counters: Counters): ApiKeyLimit {
  return async (key: TenantApiKey) => {
    if (key.rateLimit <= 0) return;
    const name = `k${key.id}`;
    const { total, msBeforeReset } = await counters.add(name, 1, API_KEY_WINDOW_SECS);
    if (total <= key.rateLimit) return;
    await counters.remove(name, 1, API_KEY_WINDOW_SECS);
    throw apiKeyRateError(key.rateLimit, msBeforeReset);
  };
}
